import Foundation
import ZIPFoundation

/// zlib (RFC 1950) streams: a 2-byte header, raw deflate, an Adler-32 trailer.
public enum Zlib {
    /// Decompresses a zlib stream, at most `limit` bytes out.
    /// - Throws: `ArchiveError` naming `source` for a bad header, a bad stream or too much output.
    public static func decompress(_ data: Data, source: String, limit: Int64 = ArchiveLimits().maxEntrySize) throws(ArchiveError) -> Data {
        let bytes = [UInt8](data.prefix(2))
        guard bytes.count == 2, bytes[0] & 0x0F == 8, (Int(bytes[0]) << 8 | Int(bytes[1])) % 31 == 0, bytes[1] & 0x20 == 0 else {
            throw .notAnArchive(source: source, expected: "zlib")
        }
        let deflated = data.dropFirst(2)
        let base = deflated.startIndex
        var output = Data()
        var tooLarge = false
        do {
            _ = try Data.decompress(size: Int64(deflated.count), bufferSize: 1 << 16, skipCRC32: true, provider: { position, size in
                guard Int(position) < deflated.count else { throw CocoaError(.fileReadCorruptFile) }
                return deflated.subdata(in: (base + Int(position))..<(base + min(Int(position) + size, deflated.count)))
            }, consumer: { chunk in
                if Int64(output.count + chunk.count) > limit {
                    tooLarge = true
                    throw CocoaError(.fileReadTooLarge)
                }
                output.append(chunk)
            })
        } catch {
            if tooLarge { throw .tooLarge(source: source, limit: limit) }
            throw .corrupt(source: source, reason: "bad deflate stream (\(error))")
        }
        return output
    }
}
