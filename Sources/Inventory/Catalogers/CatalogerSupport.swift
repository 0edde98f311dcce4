import Foundation
import VigilCore

/// Reads a JSON file for a cataloger; problems are recorded against the file.
func jsonObject(_ fs: FileSystem, _ path: String, into inventory: inout Inventory) -> Any? {
    do {
        guard let data = try fs.read(path) else { return nil }
        guard let json = try? JSONSerialization.jsonObject(with: data) else {
            inventory.problems.append("\(path): not valid JSON")
            return nil
        }
        return json
    } catch {
        inventory.problems.append("\(error)")
        return nil
    }
}

/// Reads a text file for a cataloger; a read error is recorded against the file.
func text(_ fs: FileSystem, _ path: String, into inventory: inout Inventory) -> String? {
    do {
        return try fs.text(path)
    } catch {
        inventory.problems.append("\(error)")
        return nil
    }
}

/// An npm package, with a scoped name (`@scope/name`) split into the purl's namespace and name.
func npmPackage(name: String, version: String, path: String, manager: PackageManager) -> Package {
    let scoped = name.hasPrefix("@") ? name.split(separator: "/", maxSplits: 1) : []
    let purl = scoped.count == 2
        ? PackageURL(type: "npm", namespace: String(scoped[0]), name: String(scoped[1]), version: version)
        : PackageURL(type: "npm", name: name, version: version)
    return Package(name: name, version: version, ecosystem: "npm", purl: purl.description, path: path, packageManager: manager)
}
