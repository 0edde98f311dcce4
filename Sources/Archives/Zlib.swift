import Foundation

/// zlib (RFC 1950) streams: a 2-byte header, raw deflate, an Adler-32 trailer.
public enum Zlib {
    /// Decompresses a zlib stream, at most `limit` bytes out.
    /// - Throws: `ArchiveError` naming `source` for a bad header, a bad stream or too much output.
    public static func decompress(_ data: Data, source: String, limit: Int64 = ArchiveLimits().maxEntrySize) throws(ArchiveError) -> Data {
        let bytes = [UInt8](data.prefix(2))
        guard bytes.count == 2, bytes[0] & 0x0F == 8, (Int(bytes[0]) << 8 | Int(bytes[1])) % 31 == 0, bytes[1] & 0x20 == 0 else {
            throw .notAnArchive(source: source, expected: "zlib")
        }
        // The Adler-32 trailer is not checked: the deflate stream's own structure ends it.
        return try Inflate.raw(Data(data.dropFirst(2)), source: source, limit: limit, checksum: false).0
    }
}
