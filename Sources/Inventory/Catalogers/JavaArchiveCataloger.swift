import Archives
import Foundation
import VigilCore

/// Java archives (jar, war, ear, and Jenkins' jpi/hpi), nested archives included:
/// `META-INF/maven/<group>/<artifact>/pom.properties` first, `META-INF/MANIFEST.MF` when there is none.
struct JavaArchiveCataloger: Cataloger {
    static let extensions = ["jar", "war", "ear", "jpi", "hpi"]
    static let archiveLimit = 256 << 20
    static let maxDepth = 3

    func wants(_ entry: WalkEntry) -> Bool {
        guard let dot = entry.name.lastIndex(of: ".") else { return false }
        return Self.extensions.contains(entry.name[entry.name.index(after: dot)...].lowercased())
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            do {
                guard let data = try fs.read(path, limit: Self.archiveLimit) else { continue }
                try Self.catalog(archive: data, location: path, depth: 1, into: &inventory)
            } catch {
                inventory.problems.append("\(error)")
            }
        }
    }

    static func catalog(archive data: Data, location: String, depth: Int, into inventory: inout Inventory) throws {
        let reader = try ZipReader(data: data, source: location, limits: ArchiveLimits(maxEntrySize: Int64(archiveLimit), maxTotalSize: 2 << 30, maxEntries: 200_000))
        var poms: [[String: String]] = []
        var manifest: [String: String]?
        var nested: [(String, Data)] = []
        try reader.forEachFile { entry, contents in
            if entry.hasPrefix("META-INF/maven/") && entry.hasSuffix("/pom.properties") {
                poms.append(properties(String(decoding: contents, as: UTF8.self)))
            } else if entry == "META-INF/MANIFEST.MF" {
                manifest = manifestAttributes(String(decoding: contents, as: UTF8.self))
            } else if depth < maxDepth, extensions.contains((entry.split(separator: ".").last ?? "").lowercased()) {
                nested.append((entry, contents))
            }
        }
        var found = false
        for pom in poms {
            guard let group = pom["groupId"], let artifact = pom["artifactId"], let version = pom["version"] else { continue }
            append(group: group, artifact: artifact, version: version, location: location, into: &inventory)
            found = true
        }
        if !found, let manifest {
            let version = manifest["Implementation-Version"] ?? manifest["Bundle-Version"]
            let artifact = manifest["Bundle-SymbolicName"].map { String($0.split(separator: ";").first ?? "") }
                ?? manifest["Implementation-Title"]
            if let version, let artifact, !artifact.isEmpty {
                append(group: manifest["Implementation-Vendor-Id"], artifact: artifact, version: version, location: location, into: &inventory)
            }
        }
        for (entry, contents) in nested {
            do {
                try catalog(archive: contents, location: "\(location)!/\(entry)", depth: depth + 1, into: &inventory)
            } catch {
                inventory.problems.append("\(error)")
            }
        }
    }

    static func append(group: String?, artifact: String, version: String, location: String, into inventory: inout Inventory) {
        let name = group.map { "\($0):\(artifact)" } ?? artifact
        inventory.packages.append(Package(
            name: name, version: version, ecosystem: "Maven",
            purl: PackageURL(type: "maven", namespace: group, name: artifact, version: version).description,
            path: location, packageManager: .jar
        ))
    }

    /// Java `.properties`: `key=value` or `key: value`, `#` and `!` comments.
    static func properties(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty, !trimmed.hasPrefix("#"), !trimmed.hasPrefix("!"),
                  let sep = trimmed.firstIndex(where: { $0 == "=" || $0 == ":" })
            else { continue }
            out[trimmed[..<sep].trimmingCharacters(in: .whitespaces)] = trimmed[trimmed.index(after: sep)...].trimmingCharacters(in: .whitespaces)
        }
        return out
    }

    /// The main section of a manifest (`Name: value`, continuation lines start with one space).
    static func manifestAttributes(_ text: String) -> [String: String] {
        var out: [String: String] = [:]
        var last: String?
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.isEmpty { break }  // the main section ends at the first blank line
            if line.hasPrefix(" "), let last {
                out[last, default: ""] += line.dropFirst()
            } else if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                out[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                last = key
            }
        }
        return out
    }
}
