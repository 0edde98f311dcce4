import Archives
import Foundation
import Testing
import TestSupport

/// gzip and zip reading on files made by the real tools (gzip, Python's zipfile), including hostile ones.
struct ArchivesTests {
    @Test func gunzipMatchesTheGzipTool() throws {
        let scratch = try ScratchDirectory()
        let original = Data((0..<50_000).map { "line \($0) of some text\n" }.joined().utf8)
        try original.write(to: scratch.path("data.txt"))
        _ = try Subprocess.lines(["gzip", "-k", "-9", "-N", scratch.path("data.txt").path])
        let compressed = try Data(contentsOf: scratch.path("data.txt.gz"))
        #expect(Gzip.isGzip(compressed))
        #expect(try Gzip.decompress(compressed, source: "data.txt.gz") == original)
    }

    @Test func gunzipReadsTheRealEPSSFile() throws {
        let gz = try Data(contentsOf: Repository.sharedData.appending(path: "epss/epss_scores-sample.csv.gz"))
        let csv = try Data(contentsOf: Repository.sharedData.appending(path: "epss/epss_scores-sample.csv"))
        #expect(try Gzip.decompress(gz, source: "epss") == csv)
    }

    @Test func corruptOrTruncatedGzipIsAnErrorNamingTheSource() throws {
        let gz = try Data(contentsOf: Repository.sharedData.appending(path: "epss/epss_scores-sample.csv.gz"))
        #expect(throws: ArchiveError.self) { try Gzip.decompress(gz.prefix(gz.count / 2), source: "half.gz") }
        var flipped = gz
        flipped[gz.count / 2] ^= 0xFF
        do {
            _ = try Gzip.decompress(flipped, source: "flipped.gz")
            Issue.record("a corrupted stream decompressed")
        } catch {
            #expect(error.description.hasPrefix("flipped.gz: corrupt archive"))
        }
        #expect(throws: ArchiveError.notAnArchive(source: "x", expected: "gzip")) { try Gzip.decompress(Data("plain text here!!".utf8), source: "x") }
    }

    @Test func gzipBombStopsAtTheLimit() throws {
        let scratch = try ScratchDirectory()
        try Data(count: 8 << 20).write(to: scratch.path("zeros"))
        _ = try Subprocess.lines(["gzip", "-9", scratch.path("zeros").path])
        let bomb = try Data(contentsOf: scratch.path("zeros.gz"))
        #expect(throws: ArchiveError.tooLarge(source: "zeros.gz", limit: 1 << 20)) { try Gzip.decompress(bomb, source: "zeros.gz", limit: 1 << 20) }
    }

    @Test func zipEntriesAreReadWithinLimits() throws {
        let scratch = try ScratchDirectory()
        let zip = scratch.path("test.zip")
        _ = try Subprocess.lines(["python3", "-c", """
            import sys, zipfile
            with zipfile.ZipFile(sys.argv[1], "w", zipfile.ZIP_DEFLATED) as z:
                z.writestr("a.json", '{"id": "A"}')
                z.writestr("dir/b.json", '{"id": "B"}')
                z.writestr("../../escape.json", '{"id": "C"}')
                z.writestr("big.bin", b"\\0" * (4 << 20))
            """, zip.path])
        var seen: [String: Int] = [:]
        try ZipReader(url: zip).forEachFile { path, contents in seen[path] = contents.count }
        #expect(seen == ["a.json": 11, "dir/b.json": 11, "../../escape.json": 11, "big.bin": 4 << 20])
        // Nothing was written anywhere: entries, even a hostile path, are only handed over as bytes.
        #expect(!FileManager.default.fileExists(atPath: scratch.url.deletingLastPathComponent().deletingLastPathComponent().appending(path: "escape.json").path))
        let small = ArchiveLimits(maxEntrySize: 1 << 20, maxTotalSize: 1 << 30, maxEntries: 10)
        #expect(throws: ArchiveError.tooLarge(source: "\(zip.path)!big.bin", limit: 1 << 20)) {
            try ZipReader(url: zip, limits: small).forEachFile { _, _ in }
        }
        let few = ArchiveLimits(maxEntrySize: 1 << 30, maxTotalSize: 1 << 30, maxEntries: 2)
        #expect(throws: ArchiveError.tooManyEntries(source: zip.path, limit: 2)) {
            try ZipReader(url: zip, limits: few).forEachFile { _, _ in }
        }
    }

    @Test func notAZipIsAnError() throws {
        let scratch = try ScratchDirectory()
        try Data("not a zip at all".utf8).write(to: scratch.path("x.zip"))
        #expect(throws: ArchiveError.notAnArchive(source: scratch.path("x.zip").path, expected: "zip")) {
            try ZipReader(url: scratch.path("x.zip"))
        }
    }
}
