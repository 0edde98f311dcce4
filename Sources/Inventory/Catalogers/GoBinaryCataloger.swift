import Foundation
import VigilCore

/// Go binaries: the module build information the Go linker embeds (Go 1.18+ inline format, found by
/// its `\xff Go buildinf:` header): the main module, every dependency (with `=>` replacements
/// applied) and the toolchain version as the `stdlib` package. The same look at each executable's
/// section table also finds cargo-auditable's `.dep-v0` section (Rust crates).
struct GoBinaryCataloger: Cataloger {
    static let magic = Data([0xFF] + Array(" Go buildinf:".utf8))
    /// Largest binary read.
    static let limit = 512 << 20

    func wants(_ entry: WalkEntry) -> Bool {
        // Executable files (the walk reads modes only for names an executable could have), and
        // large extension-less files whose mode was lost in copying; the ELF section table then
        // tells Go and Rust binaries apart.
        entry.isExecutable || (entry.size ?? 0) >= 256 << 10
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            do {
                // The section table says where the build info is without reading the binary; only
                // a binary stripped of its section table is searched whole.
                guard let sections = try ELF.sections(fs, path) else { continue }
                if let range = sections[".dep-v0"], range.count <= RustCataloger.binaryLimit,
                   let section = try fs.read(path, offset: range.lowerBound, count: range.count) {
                    inventory.packages += try RustCataloger.auditable(section, path: path)
                }
                let data: Data?
                if let range = sections[".go.buildinfo"] {
                    data = try fs.read(path, offset: range.lowerBound, count: min(range.count, Self.limit))
                } else if sections.isEmpty {
                    data = try fs.read(path, limit: Self.limit)
                } else {
                    continue
                }
                guard let data, let info = try Self.buildInfo(data, path: path) else { continue }
                inventory.packages += Self.packages(info, path: path)
            } catch {
                inventory.problems.append("\(error)")
            }
        }
    }

    struct BuildInfo {
        var goVersion: String
        /// `path`, `mod`, `dep`, `=>` lines split at tabs.
        var lines: [[Substring]]
    }

    /// The build info of a binary, or nil when it has none.
    static func buildInfo(_ binary: Data, path: String) throws(InventoryError) -> BuildInfo? {
        guard let start = binary.range(of: magic)?.lowerBound else { return nil }
        let bytes = binary[start...]
        guard bytes.count >= 32 else { throw .malformed(path: path, reason: "truncated Go build info header") }
        let flags = bytes[bytes.startIndex + 15]
        guard flags & 0x2 != 0 else {
            throw .malformed(path: path, reason: "Go build info from before Go 1.18 (pointer format) is not read yet")
        }
        var offset = bytes.startIndex + 32
        func string() throws(InventoryError) -> Data {
            var length = 0, shift = 0
            while true {
                guard offset < bytes.endIndex, shift < 63 else { throw .malformed(path: path, reason: "truncated Go build info") }
                let b = bytes[offset]
                offset += 1
                length |= Int(b & 0x7F) << shift
                shift += 7
                if b < 0x80 { break }
            }
            guard length >= 0, offset + length <= bytes.endIndex else { throw .malformed(path: path, reason: "Go build info string runs past the file") }
            defer { offset += length }
            return bytes[offset..<(offset + length)]
        }
        let version = String(decoding: try string(), as: UTF8.self)
        var modinfo = try string()
        // The module information is wrapped in two 16-byte sentinels.
        if modinfo.count >= 33 { modinfo = modinfo.dropFirst(16).dropLast(16) }
        let lines = String(decoding: modinfo, as: UTF8.self).split(separator: "\n").map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
        return BuildInfo(goVersion: version, lines: lines)
    }

    static func packages(_ info: BuildInfo, path: String) -> [Package] {
        var modules: [(path: String, version: String)] = []
        for fields in info.lines where fields.count >= 3 {
            switch fields[0] {
            case "mod", "dep": modules.append((String(fields[1]), String(fields[2])))
            case "=>":
                // A replacement applies to the module on the line before it.
                if !modules.isEmpty { modules[modules.count - 1] = (String(fields[1]), String(fields[2])) }
            default: continue
            }
        }
        var packages = modules.map { module in
            let parts = module.path.split(separator: "/")
            let purl = PackageURL(type: "golang", namespace: parts.dropLast().joined(separator: "/"), name: String(parts.last ?? ""),
                                  version: module.version)
            return Package(name: module.path, version: module.version, ecosystem: "Go", purl: purl.description, path: path, packageManager: .goBinary)
        }
        if let stdlib = stdlibVersion(info.goVersion) {
            packages.append(Package(name: "stdlib", version: stdlib, ecosystem: "Go",
                                    purl: PackageURL(type: "golang", name: "stdlib", version: stdlib).description,
                                    path: path, packageManager: .goBinary))
        }
        return packages
    }

    /// `go1.21.1` → `1.21.1`, `go1.21` → `1.21.0`, `go1.21rc2` → `1.21.0-rc.2` (the form OSV's Go
    /// advisories use for `stdlib`); nil for a development toolchain.
    static func stdlibVersion(_ toolchain: String) -> String? {
        guard toolchain.hasPrefix("go") else { return nil }
        var version = String(toolchain.dropFirst(2).prefix { $0 != " " && $0 != "+" })
        var pre = ""
        for tag in ["rc", "beta"] {
            if let r = version.range(of: tag) {
                pre = "-\(tag).\(version[r.upperBound...])"
                version = String(version[..<r.lowerBound])
            }
        }
        let parts = version.split(separator: ".")
        guard (2...3).contains(parts.count), parts.allSatisfy({ Int($0) != nil }) else { return nil }
        return (parts.count == 2 ? version + ".0" : version) + pre
    }
}
