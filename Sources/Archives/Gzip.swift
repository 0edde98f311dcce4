import Foundation

/// gzip (RFC 1952) decompression of one member, with its CRC-32 and length checked.
public enum Gzip {
    /// True when `data` starts with the gzip magic bytes.
    public static func isGzip(_ data: Data) -> Bool {
        data.count >= 2 && data[data.startIndex] == 0x1F && data[data.startIndex + 1] == 0x8B
    }

    /// Decompresses a single-member gzip stream.
    /// - Parameters:
    ///   - data: the compressed bytes.
    ///   - source: names the input in errors (a path or URL).
    ///   - limit: the largest output accepted.
    /// - Throws: `ArchiveError` when the header, the deflate stream, the CRC or the length is wrong, or
    ///   the output would exceed `limit`.
    public static func decompress(_ data: Data, source: String, limit: Int64 = ArchiveLimits().maxEntrySize) throws(ArchiveError) -> Data {
        let bytes = [UInt8](data)
        guard bytes.count >= 18, bytes[0] == 0x1F, bytes[1] == 0x8B else { throw .notAnArchive(source: source, expected: "gzip") }
        guard bytes[2] == 8 else { throw .corrupt(source: source, reason: "compression method \(bytes[2]) is not deflate") }
        let flags = bytes[3]
        var offset = 10
        func skip(_ n: Int) throws(ArchiveError) {
            offset += n
            if offset > bytes.count - 8 { throw .corrupt(source: source, reason: "truncated gzip header") }
        }
        if flags & 0x04 != 0 {  // FEXTRA
            try skip(2)
            try skip(Int(bytes[offset - 2]) | Int(bytes[offset - 1]) << 8)
        }
        for flag: UInt8 in [0x08, 0x10] where flags & flag != 0 {  // FNAME, FCOMMENT: zero-terminated
            guard let end = bytes[offset...].firstIndex(of: 0) else { throw .corrupt(source: source, reason: "truncated gzip header") }
            try skip(end - offset + 1)
        }
        if flags & 0x02 != 0 { try skip(2) }  // FHCRC
        let trailer = bytes.count - 8
        let expectedCRC = UInt32(bytes[trailer]) | UInt32(bytes[trailer + 1]) << 8 | UInt32(bytes[trailer + 2]) << 16 | UInt32(bytes[trailer + 3]) << 24
        let expectedSize = UInt32(bytes[trailer + 4]) | UInt32(bytes[trailer + 5]) << 8 | UInt32(bytes[trailer + 6]) << 16 | UInt32(bytes[trailer + 7]) << 24
        let deflated = data.subdata(in: (data.startIndex + offset)..<(data.startIndex + trailer))
        let (output, crc) = try Inflate.raw(deflated, source: source, limit: limit, checksum: true)
        guard crc == expectedCRC else { throw .corrupt(source: source, reason: "CRC-32 mismatch") }
        guard UInt32(truncatingIfNeeded: output.count) == expectedSize else { throw .corrupt(source: source, reason: "length mismatch") }
        return output
    }
}
