import Foundation
import VigilCore

/// Ruby: `Gemfile.lock` (the `specs:` of each `GEM` section) and installed `specifications/*.gemspec`.
struct RubyCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        return entry.name == "Gemfile.lock" || (path.hasSuffix(".gemspec") && path.contains("/specifications/"))
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            guard let text = text(fs, path, into: &inventory) else { continue }
            let gems = path.hasSuffix(".gemspec") ? Self.gemspec(text).map { [$0] } ?? [] : Self.lockfile(text)
            if gems.isEmpty && path.hasSuffix(".gemspec") { inventory.problems.append("\(path): no name and version found") }
            for (name, version) in gems {
                inventory.packages.append(Package(name: name, version: version, ecosystem: "RubyGems",
                                                  purl: PackageURL(type: "gem", name: name, version: version).description,
                                                  path: path, packageManager: path.hasSuffix(".gemspec") ? .gemspec : .bundler))
            }
        }
    }

    /// `    name (version)` lines (four spaces) under `GEM` / `specs:`; a platform suffix is dropped.
    static func lockfile(_ text: String) -> [(String, String)] {
        var gems: [(String, String)] = []
        var inGem = false, inSpecs = false
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if !line.hasPrefix(" ") {
                inGem = line == "GEM"
                inSpecs = false
                continue
            }
            if inGem && line.trimmingCharacters(in: .whitespaces) == "specs:" { inSpecs = true; continue }
            guard inGem, inSpecs, line.hasPrefix("    "), !line.hasPrefix("     "),
                  let open = line.firstIndex(of: "("), let close = line.lastIndex(of: ")"), open < close else { continue }
            let name = line[..<open].trimmingCharacters(in: .whitespaces)
            var version = String(line[line.index(after: open)..<close])
            for platform in ["-x86_64", "-aarch64", "-arm64", "-java", "-universal", "-x86", "-arm-"] {
                if let r = version.range(of: platform) { version = String(version[..<r.lowerBound]) }
            }
            gems.append((name, version))
        }
        return gems
    }

    /// `s.name = "rack"` and `s.version = "2.2.3"` (or `Gem::Version.new("2.2.3")`) in a gemspec.
    static func gemspec(_ text: String) -> (String, String)? {
        func value(_ attribute: String) -> String? {
            for line in text.split(whereSeparator: \.isNewline) {
                let t = line.trimmingCharacters(in: .whitespaces)
                guard t.range(of: #"^\w+\.\#(attribute)\s*="#, options: .regularExpression) != nil,
                      let first = t.firstIndex(where: { $0 == "\"" || $0 == "'" }) else { continue }
                let quote = t[first]
                let rest = t[t.index(after: first)...]
                guard let end = rest.firstIndex(of: quote) else { continue }
                return String(rest[..<end])
            }
            return nil
        }
        guard let name = value("name"), let version = value("version") else { return nil }
        return (name, version)
    }
}
