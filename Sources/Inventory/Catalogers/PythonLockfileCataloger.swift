import Foundation
import VigilCore

/// Python dependency files: pinned `requirements*.txt` (`name==version` lines), `Pipfile.lock`,
/// `poetry.lock` and `uv.lock`.
struct PythonLockfileCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let last = entry.name
        return (last.hasPrefix("requirements") && last.hasSuffix(".txt")) || last == "Pipfile.lock" || last == "poetry.lock" || last == "uv.lock"
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            let found: [(String, String, PackageManager)]
            if path.hasSuffix("/Pipfile.lock") {
                guard let json = jsonObject(fs, path, into: &inventory) as? [String: Any] else { continue }
                found = ["default", "develop"].flatMap { section -> [(String, String, PackageManager)] in
                    ((json[section] as? [String: Any]) ?? [:]).compactMap { name, value in
                        // "version": "==2.31.0"; VCS and path entries have none.
                        guard let spec = (value as? [String: Any])?["version"] as? String, spec.hasPrefix("==") else { return nil }
                        return (name, String(spec.dropFirst(2)), .pipenv)
                    }
                }.sorted { $0.0 < $1.0 }
            } else {
                guard let text = text(fs, path, into: &inventory) else { continue }
                if path.hasSuffix(".txt") {
                    found = Self.requirements(text).map { ($0.0, $0.1, .pip) }
                } else {
                    let manager: PackageManager = path.hasSuffix("/poetry.lock") ? .poetry : .pip
                    found = TOMLPackageTables.parse(text).compactMap { t in
                        // uv.lock lists the project itself with a `source = { editable/virtual ... }` table; it has no version string.
                        guard let name = t["name"], let version = t["version"] else { return nil }
                        return (name, version, manager)
                    }
                }
            }
            for (name, version, manager) in found {
                inventory.packages.append(Package(
                    name: name, version: version, ecosystem: "PyPI",
                    purl: PackageURL(type: "pypi", name: PackageName.normalized(name, ecosystem: .pypi), version: version).description,
                    path: path, packageManager: manager))
            }
        }
    }

    /// Exactly pinned requirements: `name==version` or `name[extra]==version`, with optional markers,
    /// hashes and comments; ranges, URLs and options are not pins and are skipped.
    static func requirements(_ text: String) -> [(String, String)] {
        text.split(whereSeparator: \.isNewline).compactMap { raw in
            var line = raw.split(separator: "#", maxSplits: 1).first.map(String.init) ?? ""
            line = (line.split(separator: ";", maxSplits: 1).first.map(String.init) ?? "").trimmingCharacters(in: .whitespaces)
            guard !line.hasPrefix("-"), let pin = line.range(of: "=="), !line.contains("===") else { return nil }
            var name = line[..<pin.lowerBound].trimmingCharacters(in: .whitespaces)
            if let bracket = name.firstIndex(of: "[") { name = String(name[..<bracket]) }
            let version = line[pin.upperBound...].split(separator: " ").first.map(String.init)?.trimmingCharacters(in: CharacterSet(charactersIn: "\\ ")) ?? ""
            guard !name.isEmpty, !version.isEmpty, !version.contains("*"), !version.contains(",") else { return nil }
            return (name, version)
        }
    }
}
