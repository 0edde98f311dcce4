import Foundation
import ZIPFoundation

/// Raw deflate decompression shared by the gzip and zlib readers, bounded by an output limit.
enum Inflate {
    /// - Returns: the output and its CRC-32 (0 when `checksum` is false).
    static func raw(_ deflated: Data, source: String, limit: Int64, checksum: Bool) throws(ArchiveError) -> (Data, CRC32) {
        let base = deflated.startIndex
        var output = Data()
        var tooLarge = false
        do {
            let crc = try Data.decompress(size: Int64(deflated.count), bufferSize: 1 << 16, skipCRC32: !checksum, provider: { position, size in
                // ZIPFoundation asks again after the end of a truncated stream: stop it there.
                guard Int(position) < deflated.count else { throw CocoaError(.fileReadCorruptFile) }
                return deflated.subdata(in: (base + Int(position))..<(base + min(Int(position) + size, deflated.count)))
            }, consumer: { chunk in
                if Int64(output.count + chunk.count) > limit {
                    tooLarge = true
                    throw CocoaError(.fileReadTooLarge)
                }
                output.append(chunk)
            })
            return (output, crc)
        } catch {
            if tooLarge { throw .tooLarge(source: source, limit: limit) }
            throw .corrupt(source: source, reason: "bad deflate stream (\(error))")
        }
    }
}
