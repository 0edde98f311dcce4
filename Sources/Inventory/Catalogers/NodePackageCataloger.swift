import Foundation
import VigilCore

/// Node packages: installed `package.json` files (under `node_modules/`, and Debian's
/// `/usr/share/nodejs/` and `/usr/lib/nodejs/` trees) and `package-lock.json` v1–v3 lockfiles.
struct NodePackageCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        if entry.name == "package-lock.json" { return !path.contains("/node_modules/") }
        guard entry.name == "package.json" else { return false }
        let parts = path.split(separator: "/")
        guard parts.count >= 3 else { return false }
        // .../node_modules/NAME/package.json or .../node_modules/@SCOPE/NAME/package.json
        let parent = parts[parts.count - 3], grandparent = parts.count >= 4 ? parts[parts.count - 4] : ""
        return parent == "node_modules" || (grandparent == "node_modules" && parent.hasPrefix("@"))
            || path.hasPrefix("/usr/share/nodejs/") || path.hasPrefix("/usr/lib/nodejs/")
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            let object: [String: Any]
            do {
                guard let data = try fs.read(path) else { continue }
                guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
                    inventory.problems.append("\(path): not a JSON object")
                    continue
                }
                object = json
            } catch {
                inventory.problems.append("\(error)")
                continue
            }
            if path.hasSuffix("/package-lock.json") {
                lockfile(object, path: path, into: &inventory)
            } else if let name = object["name"] as? String, let version = object["version"] as? String, !name.isEmpty {
                append(name: name, version: version, path: path, manager: .nodePackage, into: &inventory)
            }
        }
    }

    /// v2/v3: `packages` keyed by install path; v1: nested `dependencies`.
    private func lockfile(_ lock: [String: Any], path: String, into inventory: inout Inventory) {
        if let packages = lock["packages"] as? [String: Any] {
            for key in packages.keys.sorted() where !key.isEmpty {
                guard let entry = packages[key] as? [String: Any], entry["link"] as? Bool != true,
                      let version = entry["version"] as? String,
                      let range = key.range(of: "node_modules/", options: .backwards)
                else { continue }
                let name = (entry["name"] as? String) ?? String(key[range.upperBound...])
                append(name: name, version: version, path: path, manager: .npm, into: &inventory)
            }
            return
        }
        func walk(_ dependencies: [String: Any]) {
            for name in dependencies.keys.sorted() {
                guard let entry = dependencies[name] as? [String: Any] else { continue }
                if let version = entry["version"] as? String, !version.contains(":") {  // skip file:, git+... specs
                    append(name: name, version: version, path: path, manager: .npm, into: &inventory)
                }
                if let nested = entry["dependencies"] as? [String: Any] { walk(nested) }
            }
        }
        if let dependencies = lock["dependencies"] as? [String: Any] { walk(dependencies) }
    }

    private func append(name: String, version: String, path: String, manager: PackageManager, into inventory: inout Inventory) {
        inventory.packages.append(npmPackage(name: name, version: version, path: path, manager: manager))
    }
}
