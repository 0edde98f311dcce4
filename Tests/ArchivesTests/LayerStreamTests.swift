import Archives
import Foundation
import Testing
import TestSupport

/// Tar streams written by Python's tarfile (PAX, GNU and ustar; long names, links), compressed by
/// the gzip and zstd tools, read back by `TarReader` over `LayerStream` and compared entry by entry
/// with what tarfile itself reads.
struct LayerStreamTests {
    static let script = Repository.root.appending(path: "Tests/ArchivesTests/Oracles/make_tar.py").path

    static func read(_ file: URL, compression: LayerCompression?, digest: String? = nil, limits: LayerLimits = LayerLimits()) throws -> [String] {
        let stream = try LayerStream(name: "test layer", source: try FileRange(path: file.path), compression: compression, expectedDigest: digest, limits: limits)
        let reader = TarReader(stream, limits: limits)
        var lines: [String] = []
        while let entry = try reader.next() {
            let data = entry.kind == .file ? try reader.content(limit: 1 << 20) : Data()
            let kind = switch entry.kind {
            case .file: "file"
            case .directory: "dir"
            case .symlink: "symlink"
            case .hardlink: "hardlink"
            default: "other"
            }
            let name = entry.name.hasSuffix("/") && entry.kind == .directory ? String(entry.name.dropLast()) : entry.name
            lines.append("\(kind) \(name) \(data.count) \(entry.linkTarget.isEmpty ? "-" : entry.linkTarget) \(String(sha256Digest(data).dropFirst(7)))")
        }
        return lines
    }

    @Test(arguments: ["pax", "gnu", "ustar"], ["none", "gzip", "zstd"])
    func matchesPythonTarfile(_ format: String, _ compression: String) throws {
        let scratch = try ScratchDirectory()
        let tar = scratch.path("layer.tar")
        let expected = try Subprocess.lines(["python3", Self.script, "normal", tar.path, format])
        var file = tar
        switch compression {
        case "gzip":
            _ = try Subprocess.lines(["gzip", "-k", tar.path])
            file = scratch.path("layer.tar.gz")
        case "zstd":
            _ = try Subprocess.lines(["zstd", "-q", "-k", tar.path, "-o", scratch.path("layer.tar.zst").path])
            file = scratch.path("layer.tar.zst")
        default: break
        }
        let digest = sha256Digest(try Data(contentsOf: file))
        // Declared by media type, and sniffed from the bytes.
        #expect(try Self.read(file, compression: LayerCompression(rawValue: compression), digest: digest) == expected)
        #expect(try Self.read(file, compression: nil, digest: digest) == expected)
    }

    @Test func concatenatedGzipMembersAreOneStream() throws {
        let scratch = try ScratchDirectory()
        let tar = scratch.path("layer.tar")
        let expected = try Subprocess.lines(["python3", Self.script, "normal", tar.path, "pax"])
        let whole = try Data(contentsOf: tar)
        let half = whole.count / 2
        try whole.prefix(half).write(to: scratch.path("a"))
        try whole.dropFirst(half).write(to: scratch.path("b"))
        _ = try Subprocess.lines(["gzip", scratch.path("a").path, scratch.path("b").path])
        let joined = try Data(contentsOf: scratch.path("a.gz")) + Data(contentsOf: scratch.path("b.gz"))
        try joined.write(to: scratch.path("joined.gz"))
        #expect(try Self.read(scratch.path("joined.gz"), compression: .gzip) == expected)
    }

    func failure(_ body: () throws -> Void) -> String {
        do {
            try body()
            return "no error"
        } catch {
            return "\(error)"
        }
    }

    @Test func hostileLayersAreNamedErrors() throws {
        let scratch = try ScratchDirectory()
        let tar = scratch.path("layer.tar")
        _ = try Subprocess.lines(["python3", Self.script, "normal", tar.path, "pax"])
        _ = try Subprocess.lines(["gzip", "-k", tar.path])
        let gz = try Data(contentsOf: scratch.path("layer.tar.gz"))
        let digest = sha256Digest(gz)

        // The digest lies.
        let wrong = "sha256:" + String(repeating: "0", count: 64)
        #expect(failure { _ = try Self.read(scratch.path("layer.tar.gz"), compression: .gzip, digest: wrong) }
            .hasPrefix("test layer: corrupt archive: digest mismatch: content is \(digest), expected \(wrong)"))
        // Truncated in the middle of the compressed stream.
        try gz.prefix(gz.count / 2).write(to: scratch.path("truncated.gz"))
        #expect(failure { _ = try Self.read(scratch.path("truncated.gz"), compression: .gzip) }.contains("truncated"))
        // Garbage where compressed data should be.
        var flipped = gz
        for k in 20..<60 { flipped[k] ^= 0x5A }
        try flipped.write(to: scratch.path("flipped.gz"))
        #expect(failure { _ = try Self.read(scratch.path("flipped.gz"), compression: .gzip) }.hasPrefix("test layer: corrupt archive: "))
        // Not tar at all inside valid gzip.
        try Data(repeating: 0x41, count: 4096).write(to: scratch.path("junk"))
        _ = try Subprocess.lines(["gzip", scratch.path("junk").path])
        #expect(failure { _ = try Self.read(scratch.path("junk.gz"), compression: .gzip) }.contains("checksum mismatch"))
        // A decompression bomb: 200 MB of zeros, by ratio and by absolute size.
        let bomb = scratch.path("bomb")
        _ = try Subprocess.lines(["sh", "-c", "head -c 200000000 /dev/zero | gzip -1 > \(bomb.path)"])
        #expect(failure { _ = try Self.read(bomb, compression: .gzip) }.contains("decompression ratio above 200:1"))
        #expect(failure { _ = try Self.read(bomb, compression: .gzip, limits: LayerLimits(maxUncompressedSize: 10 << 20, maxRatio: 100_000)) }
            .contains("decompresses beyond the 10485760-byte limit"))
        // An extended header larger than allowed.
        _ = try Subprocess.lines(["python3", Self.script, "hostile", "bigpax", scratch.path("bigpax.tar").path])
        #expect(failure { _ = try Self.read(scratch.path("bigpax.tar"), compression: .none) }.contains("exceeds the 1048576-byte limit"))
    }

    @Test func pathsClimbingOutOfTheRootAreRefused() throws {
        let scratch = try ScratchDirectory()
        _ = try Subprocess.lines(["python3", Self.script, "hostile", "dotdot", scratch.path("dotdot.tar").path])
        let stream = try LayerStream(name: "img layer 1", source: try FileRange(path: scratch.path("dotdot.tar").path), compression: .none, expectedDigest: nil)
        let reader = TarReader(stream)
        var paths: [String] = []
        let message = failure {
            while let entry = try reader.next() { paths.append(try entry.normalizedPath(in: "img layer 1")) }
        }
        #expect(paths == ["/etc/ok"])
        #expect(message == "img layer 1: corrupt archive: entry '../../escape' climbs out of the root with '..'")
        #expect(try TarEntry.normalize("/usr/./lib/../bin/x", in: "s") == "/usr/bin/x")
    }
}
