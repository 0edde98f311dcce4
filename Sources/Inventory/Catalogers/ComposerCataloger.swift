import Foundation
import VigilCore

/// PHP: `composer.lock` (`packages`, `packages-dev`) and `vendor/composer/installed.json` (v1 array, v2 object).
struct ComposerCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        return entry.name == "composer.lock" || path.hasSuffix("/vendor/composer/installed.json")
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            guard let json = jsonObject(fs, path, into: &inventory) else { continue }
            let lists: [Any?] = (json as? [Any]).map { [$0] }
                ?? [(json as? [String: Any])?["packages"], (json as? [String: Any])?["packages-dev"]]
            for case let list as [[String: Any]] in lists {
                for entry in list {
                    guard let name = entry["name"] as? String, let version = entry["version"] as? String else { continue }
                    let parts = name.split(separator: "/", maxSplits: 1)
                    let purl = PackageURL(type: "composer", namespace: parts.count == 2 ? String(parts[0]) : nil,
                                          name: String(parts.last ?? ""), version: version)
                    inventory.packages.append(Package(name: name, version: version, ecosystem: "Packagist", purl: purl.description,
                                                      path: path, packageManager: .composer))
                }
            }
        }
    }
}
