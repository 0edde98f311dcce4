import Foundation
import VigilCore

/// .NET: `*.deps.json` (`libraries` of type `package`) and NuGet's `packages.lock.json`.
struct DotNetCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        return path.hasSuffix(".deps.json") || path.hasSuffix("/packages.lock.json")
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            guard let json = jsonObject(fs, path, into: &inventory) as? [String: Any] else { continue }
            var found: [(String, String, PackageManager)] = []
            if let libraries = json["libraries"] as? [String: Any] {
                for (key, value) in libraries {
                    guard (value as? [String: Any])?["type"] as? String == "package", let slash = key.lastIndex(of: "/") else { continue }
                    found.append((String(key[..<slash]), String(key[key.index(after: slash)...]), .dotnetCore))
                }
            } else if let frameworks = json["dependencies"] as? [String: Any] {
                for case let dependencies as [String: Any] in frameworks.values {
                    for (name, value) in dependencies {
                        guard let entry = value as? [String: Any], entry["type"] as? String != "Project",
                              let version = entry["resolved"] as? String else { continue }
                        found.append((name, version, .nuget))
                    }
                }
            }
            var seen = Set<String>()
            for (name, version, manager) in found.sorted(by: { $0.0.lowercased() < $1.0.lowercased() })
                where seen.insert("\(name.lowercased())@\(version)").inserted {
                inventory.packages.append(Package(name: name, version: version, ecosystem: "NuGet",
                                                  purl: PackageURL(type: "nuget", name: name, version: version).description,
                                                  path: path, packageManager: manager))
            }
        }
    }
}
