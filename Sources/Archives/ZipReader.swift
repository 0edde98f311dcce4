import Foundation
import ZIPFoundation

/// Reads the regular files of a zip archive one at a time, within `ArchiveLimits`. Nothing is ever
/// written to disk: entries are handed to the caller as bytes, so hostile paths cannot escape.
public struct ZipReader {
    private let archive: Archive
    private let source: String
    private let limits: ArchiveLimits

    /// Opens the zip at `url`.
    /// - Throws: `ArchiveError.notAnArchive` when it is not a readable zip.
    public init(url: URL, limits: ArchiveLimits = ArchiveLimits()) throws(ArchiveError) {
        do {
            archive = try Archive(url: url, accessMode: .read)
        } catch {
            throw .notAnArchive(source: url.path, expected: "zip")
        }
        source = url.path
        self.limits = limits
    }

    /// Reads a zip held in memory (a jar inside a jar, a layer inside a function package).
    /// - Parameter source: names the archive in errors.
    public init(data: Data, source: String, limits: ArchiveLimits = ArchiveLimits()) throws(ArchiveError) {
        do {
            archive = try Archive(data: data, accessMode: .read)
        } catch {
            throw .notAnArchive(source: source, expected: "zip")
        }
        self.source = source
        self.limits = limits
    }

    /// True when `data` starts with a zip local file header.
    public static func isZip(_ data: Data) -> Bool {
        data.count >= 4 && data.prefix(4).elementsEqual([0x50, 0x4B, 0x03, 0x04])
    }

    /// Calls `body` with each regular file's path and contents, in archive order.
    /// - Throws: `ArchiveError` for a corrupt entry or a limit exceeded, or what `body` throws.
    public func forEachFile(_ body: (_ path: String, _ contents: Data) throws -> Void) throws {
        var count = 0
        var total: Int64 = 0
        for entry in archive where entry.type == .file {
            count += 1
            if count > limits.maxEntries { throw ArchiveError.tooManyEntries(source: source, limit: limits.maxEntries) }
            let declared = Int64(entry.uncompressedSize)
            if declared > limits.maxEntrySize { throw ArchiveError.tooLarge(source: "\(source)!\(entry.path)", limit: limits.maxEntrySize) }
            var contents = Data()
            contents.reserveCapacity(Int(declared))
            var exceeded = false
            do {
                _ = try archive.extract(entry, skipCRC32: false) { chunk in
                    // The declared size may lie; count what actually comes out.
                    if Int64(contents.count + chunk.count) > limits.maxEntrySize {
                        exceeded = true
                        throw CocoaError(.fileReadTooLarge)
                    }
                    contents.append(chunk)
                }
            } catch {
                if exceeded { throw ArchiveError.tooLarge(source: "\(source)!\(entry.path)", limit: limits.maxEntrySize) }
                throw ArchiveError.corrupt(source: "\(source)!\(entry.path)", reason: "\(error)")
            }
            total += Int64(contents.count)
            if total > limits.maxTotalSize { throw ArchiveError.tooLarge(source: source, limit: limits.maxTotalSize) }
            try body(entry.path, contents)
        }
    }
}
