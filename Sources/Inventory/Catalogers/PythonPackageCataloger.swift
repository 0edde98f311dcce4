import Foundation
import VigilCore

/// Installed Python distributions: `*.dist-info/METADATA` (wheels, pip) and `*.egg-info/PKG-INFO`
/// (setuptools eggs; an `.egg-info` may also be a single file).
struct PythonPackageCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        return (entry.name == "METADATA" && path.dropLast("/METADATA".count).hasSuffix(".dist-info"))
            || (entry.name == "PKG-INFO" && path.dropLast("/PKG-INFO".count).hasSuffix(".egg-info"))
            || path.hasSuffix(".egg-info")
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            guard let text = text(fs, path, into: &inventory) else { continue }
            // Core metadata is an RFC 822 header block; the body (the long description) follows a blank line.
            var name: String?
            var version: String?
            for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
                // "\r\n" is one Character in Swift, so CRLF files split correctly on isNewline.
                if line.isEmpty { break }
                if line.hasPrefix("Name:") { name = line.dropFirst(5).trimmingCharacters(in: .whitespacesAndNewlines) }
                if line.hasPrefix("Version:") { version = line.dropFirst(8).trimmingCharacters(in: .whitespacesAndNewlines) }
            }
            guard let name, let version, !name.isEmpty, !version.isEmpty else {
                inventory.problems.append("\(path): Python metadata without Name and Version")
                continue
            }
            let normalized = PackageName.normalized(name, ecosystem: .pypi)
            inventory.packages.append(Package(
                name: name, version: version, ecosystem: "PyPI",
                purl: PackageURL(type: "pypi", name: normalized, version: version).description,
                path: path, packageManager: .pythonPackage
            ))
        }
    }
}
