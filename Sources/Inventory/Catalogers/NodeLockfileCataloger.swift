import Foundation
import VigilCore

/// Node lockfiles other than package-lock.json: `yarn.lock` (classic v1 and berry) and
/// `pnpm-lock.yaml` (v5 `/name/version`, v6 `/name@version`, v9 `name@version` keys). Both are read
/// line by line: their layouts are regular enough that a YAML parser is not needed.
struct NodeLockfileCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        return (entry.name == "yarn.lock" || entry.name == "pnpm-lock.yaml") && !path.contains("/node_modules/")
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            guard let text = text(fs, path, into: &inventory) else { continue }
            let found = path.hasSuffix("/yarn.lock") ? Self.yarn(text) : Self.pnpm(text)
            let manager: PackageManager = path.hasSuffix("/yarn.lock") ? .yarn : .npm
            var seen = Set<String>()
            for (name, version) in found where seen.insert("\(name)@\(version)").inserted {
                inventory.packages.append(npmPackage(name: name, version: version, path: path, manager: manager))
            }
        }
    }

    /// A top-level entry line names one or more specifiers (`"lodash@^4.17.15", lodash@^4.17.19:`);
    /// its indented `version "4.17.21"` (classic) or `version: 4.17.21` (berry) line gives the version.
    static func yarn(_ text: String) -> [(String, String)] {
        var out: [(String, String)] = []
        var name: String?
        for line in text.split(whereSeparator: \.isNewline) {
            if line.hasPrefix("#") { continue }
            if !line.hasPrefix(" ") {
                name = nil
                guard line.hasSuffix(":"), line != "__metadata:" else { continue }
                let first = line.dropLast().split(separator: ",").first?.trimmingCharacters(in: CharacterSet(charactersIn: "\" ")) ?? ""
                // The name ends at the last '@' that is not the scope's leading one.
                guard let at = first.dropFirst().lastIndex(of: "@") else { continue }
                name = String(first[..<at])
                continue
            }
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            guard let current = name, trimmed.hasPrefix("version") else { continue }
            var value = trimmed.dropFirst("version".count).trimmingCharacters(in: .whitespaces)
            if value.hasPrefix(":") { value = value.dropFirst().trimmingCharacters(in: .whitespaces) }
            value = value.trimmingCharacters(in: CharacterSet(charactersIn: "\"'"))
            if !value.isEmpty && !value.contains("use.local") { out.append((current, value)) }
            name = nil
        }
        return out
    }

    /// Keys of the top-level `packages:` map, two spaces in.
    static func pnpm(_ text: String) -> [(String, String)] {
        var out: [(String, String)] = []
        var inPackages = false
        for line in text.split(whereSeparator: \.isNewline) {
            if !line.hasPrefix(" ") {
                inPackages = line.hasPrefix("packages:")
                continue
            }
            guard inPackages, line.hasPrefix("  "), !line.hasPrefix("   "), line.hasSuffix(":") else { continue }
            var key = line.dropLast().trimmingCharacters(in: CharacterSet(charactersIn: " '\""))
            if key.hasPrefix("/") { key.removeFirst() }
            // Peer-dependency suffixes: "(react@18.2.0)" (v6+) or "_react@18.2.0" (v5).
            if let paren = key.firstIndex(of: "(") { key = String(key[..<paren]) }
            if let at = key.dropFirst().lastIndex(of: "@") {
                out.append((String(key[..<at]), String(key[key.index(after: at)...])))
            } else if let slash = key.lastIndex(of: "/") {  // v5: /name/version
                let version = key[key.index(after: slash)...].split(separator: "_").first.map(String.init) ?? ""
                out.append((String(key[..<slash]), version))
            }
        }
        return out
    }
}
