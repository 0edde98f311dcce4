import Foundation

/// One entry of a tar stream, with PAX and GNU long names applied.
public struct TarEntry: Sendable {
    public enum Kind: Sendable, Equatable {
        case file, directory, symlink, hardlink, characterDevice, blockDevice, fifo, other(UInt8)
    }

    /// The name as stored (`./usr/bin/x`, `usr/lib/`).
    public var name: String
    public var kind: Kind
    public var linkTarget: String
    public var size: Int64
    public var mode: UInt32
    /// Where the content starts in the uncompressed stream.
    public var contentOffset: Int64

    /// `/usr/bin/x`: `.` and empty components dropped, `..` applied. An absolute name is taken from
    /// the root, as container runtimes do (umoci writes them); a name whose `..` climbs above the
    /// root is refused (a layer that tries that is hostile), as is a NUL byte.
    public func normalizedPath(in source: String) throws -> String {
        try Self.normalize(name, in: source)
    }

    /// `normalizedPath` for any name (a hard link's target).
    public static func normalize(_ name: String, in source: String) throws -> String {
        var parts: [Substring] = []
        for part in name.split(separator: "/", omittingEmptySubsequences: true) where part != "." {
            if part == ".." {
                guard parts.popLast() != nil else { throw ArchiveError.corrupt(source: source, reason: "entry '\(name)' climbs out of the root with '..'") }
                continue
            }
            parts.append(part)
        }
        if name.utf8.contains(0) { throw ArchiveError.corrupt(source: source, reason: "entry name contains a NUL byte") }
        return "/" + parts.joined(separator: "/")
    }
}

/// Reads a tar stream (ustar, GNU and PAX) entry by entry from a `LayerStream`, without seeking:
/// headers are checksummed, sizes bounded, and content not asked for is skipped.
public final class TarReader {
    let stream: LayerStream
    let limits: LayerLimits
    var buffer = Data()
    /// Content bytes of the current entry not yet consumed, and its padding.
    var remaining: Int64 = 0
    var padding: Int64 = 0
    public private(set) var entries = 0
    var ended = false

    public init(_ stream: LayerStream, limits: LayerLimits = LayerLimits()) {
        self.stream = stream
        self.limits = limits
    }

    var source: String { stream.name }

    /// Exactly `count` bytes, or an error saying the stream ended early.
    func readExactly(_ count: Int) throws -> Data {
        while buffer.count < count {
            let more = try stream.read(max(count - buffer.count, 64 << 10))
            if more.isEmpty { throw ArchiveError.corrupt(source: source, reason: "tar stream ends in the middle of an entry (truncated layer)") }
            buffer.append(more)
        }
        let out = buffer.prefix(count)
        buffer.removeFirst(count)
        return Data(out)
    }

    /// Skips padding; false when the stream ended instead.
    func skipPadding(_ count: Int64) throws -> Bool {
        var left = count
        while left > 0 {
            if buffer.isEmpty {
                let more = try stream.read(64 << 10)
                if more.isEmpty { return false }
                buffer = more
            }
            let n = Int(min(left, Int64(buffer.count)))
            buffer.removeFirst(n)
            left -= Int64(n)
        }
        return true
    }

    func skip(_ count: Int64) throws {
        var left = count
        if stream.canSeek {
            let n = Int(min(left, Int64(buffer.count)))
            buffer.removeFirst(n)
            left -= Int64(n)
            if left > 0 { try stream.seekForward(left) }
            return
        }
        try consume(count) { _ in }
    }

    /// Hands `count` bytes of the stream to `body` in pieces; the stream ending first is truncation.
    func consume(_ count: Int64, _ body: (Data) throws -> Void) throws {
        var left = count
        while left > 0 {
            if buffer.isEmpty {
                let more = try stream.read(Int(min(left, 1 << 20)))
                if more.isEmpty { throw ArchiveError.corrupt(source: source, reason: "tar stream ends in the middle of an entry (truncated layer)") }
                buffer = more
            }
            let n = Int(min(left, Int64(buffer.count)))
            try body(buffer.prefix(n))
            buffer.removeFirst(n)
            left -= Int64(n)
        }
    }

    /// The next entry, or nil at the end of the archive (the rest of the layer is then drained so
    /// its digest is checked).
    public func next() throws -> TarEntry? {
        guard !ended else { return nil }
        try skip(remaining)
        remaining = 0
        // A stream that stops right after the last entry's content, without its padding or the
        // closing blocks, is complete (umoci 0.4's insert writes such layers).
        if padding > 0, try !skipPadding(padding) { return try end() }
        padding = 0
        var pax: [String: String] = [:]
        var longName: String?
        var longLink: String?
        while true {
            // End of data without the two zero blocks is accepted (many writers stop short).
            if buffer.isEmpty {
                let more = try stream.read(64 << 10)
                if more.isEmpty { return try end() }
                buffer = more
            }
            let header = [UInt8](try readExactly(512))
            if header.allSatisfy({ $0 == 0 }) { return try end() }
            entries += 1
            guard entries <= limits.maxEntries else {
                throw ArchiveError.corrupt(source: source, reason: "more than \(limits.maxEntries) tar entries")
            }
            try verifyChecksum(header)
            let type = header[156]
            let size = try number(header[124..<136], field: "size")
            guard size >= 0 else { throw ArchiveError.corrupt(source: source, reason: "negative entry size") }
            let paddedSize = (size + 511) / 512 * 512
            switch type {
            case UInt8(ascii: "x"), UInt8(ascii: "g"), UInt8(ascii: "L"), UInt8(ascii: "K"):
                guard size <= Int64(limits.maxHeaderSize) else {
                    throw ArchiveError.corrupt(source: source, reason: "extended header of \(size) bytes exceeds the \(limits.maxHeaderSize)-byte limit")
                }
                let data = try readExactly(Int(size))
                try skip(paddedSize - size)
                switch type {
                case UInt8(ascii: "x"): pax.merge(try Self.paxRecords(data, source: source)) { $1 }
                case UInt8(ascii: "L"): longName = Self.cString(data[...])
                case UInt8(ascii: "K"): longLink = Self.cString(data[...])
                default: break  // global PAX headers carry nothing Vigil uses
                }
                continue
            default:
                break
            }
            var name = Self.cString(Data(header[0..<100])[...])
            let ustar = header[257..<262].elementsEqual("ustar".utf8) && header[262] == 0
            if ustar {
                let prefix = Self.cString(Data(header[345..<500])[...])
                if !prefix.isEmpty { name = prefix + "/" + name }
            }
            if let longName { name = longName }
            if let path = pax["path"] { name = path }
            var link = Self.cString(Data(header[157..<257])[...])
            if let longLink { link = longLink }
            if let path = pax["linkpath"] { link = path }
            var entrySize = size
            if let paxSize = pax["size"] {
                guard let value = Int64(paxSize), value >= 0 else { throw ArchiveError.corrupt(source: source, reason: "PAX size '\(paxSize)' is not a number") }
                entrySize = value
            }
            let kind: TarEntry.Kind
            switch type {
            case 0, UInt8(ascii: "0"), UInt8(ascii: "7"): kind = .file
            case UInt8(ascii: "1"): kind = .hardlink
            case UInt8(ascii: "2"): kind = .symlink
            case UInt8(ascii: "3"): kind = .characterDevice
            case UInt8(ascii: "4"): kind = .blockDevice
            case UInt8(ascii: "5"): kind = .directory
            case UInt8(ascii: "6"): kind = .fifo
            default: kind = .other(type)
            }
            let mode = UInt32(truncatingIfNeeded: (try? number(header[100..<108], field: "mode")) ?? 0o644)
            // Links and directories carry no content whatever their size field says.
            remaining = (kind == .file || { if case .other = kind { return true } else { return false } }()) ? entrySize : 0
            padding = (remaining + 511) / 512 * 512 - remaining
            return TarEntry(name: name, kind: kind, linkTarget: link, size: remaining, mode: mode,
                            contentOffset: stream.position - Int64(buffer.count))
        }
    }

    func end() throws -> TarEntry? {
        ended = true
        buffer.removeAll()
        try stream.drain()
        return nil
    }

    /// The current entry's content, which must be at most `limit` bytes.
    public func content(limit: Int64) throws -> Data {
        guard remaining <= limit else { throw ArchiveError.corrupt(source: source, reason: "entry of \(remaining) bytes exceeds the \(limit)-byte limit") }
        let data = try readExactly(Int(remaining))
        remaining = 0
        return data
    }

    /// The current entry's content in pieces, for entries written straight to disk.
    public func streamContent(_ body: (Data) throws -> Void) throws {
        try consume(remaining, body)
        remaining = 0
    }

    func verifyChecksum(_ header: [UInt8]) throws {
        var sum = 0
        for (k, byte) in header.enumerated() { sum += (148..<156).contains(k) ? 0x20 : Int(byte) }
        guard let stored = try? number(header[148..<156], field: "checksum"), Int64(sum) == stored else {
            throw ArchiveError.corrupt(source: source, reason: "tar header checksum mismatch after \(entries - 1) entries (not a tar stream, or corrupt)")
        }
    }

    /// An octal field, or GNU's base-256 form (high bit of the first byte set).
    func number(_ field: ArraySlice<UInt8>, field name: String) throws -> Int64 {
        if let first = field.first, first & 0x80 != 0 {
            guard field.count <= 12 else { throw ArchiveError.corrupt(source: source, reason: "\(name) field too wide") }
            var value: Int64 = Int64(first & 0x3F)
            for byte in field.dropFirst() {
                guard value < Int64.max >> 8 else { throw ArchiveError.corrupt(source: source, reason: "\(name) field overflows") }
                value = value << 8 | Int64(byte)
            }
            return value
        }
        var value: Int64 = 0
        var seen = false
        for byte in field {
            if byte == 0 || byte == 0x20 { if seen { break } else { continue } }
            guard (0x30...0x37).contains(byte) else { throw ArchiveError.corrupt(source: source, reason: "tar header \(name) field is not octal") }
            guard value < Int64.max >> 3 else { throw ArchiveError.corrupt(source: source, reason: "\(name) field overflows") }
            value = value * 8 + Int64(byte - 0x30)
            seen = true
        }
        return value
    }

    static func cString(_ data: Data.SubSequence) -> String {
        let end = data.firstIndex(of: 0) ?? data.endIndex
        return String(decoding: data[data.startIndex..<end], as: UTF8.self)
    }

    /// `LENGTH key=value\n` records.
    static func paxRecords(_ data: Data, source: String) throws -> [String: String] {
        var out: [String: String] = [:]
        var bytes = [UInt8](data)[...]
        while !bytes.isEmpty {
            guard let space = bytes.firstIndex(of: 0x20), let length = Int(String(decoding: bytes[bytes.startIndex..<space], as: UTF8.self)),
                  length > space - bytes.startIndex + 1, length <= bytes.count else {
                if bytes.allSatisfy({ $0 == 0 }) { break }
                throw ArchiveError.corrupt(source: source, reason: "malformed PAX extended header")
            }
            let record = bytes[(space + 1)..<(bytes.startIndex + length - 1)]
            if let eq = record.firstIndex(of: UInt8(ascii: "=")) {
                out[String(decoding: record[record.startIndex..<eq], as: UTF8.self)] = String(decoding: record[(eq + 1)...], as: UTF8.self)
            }
            bytes = bytes[(bytes.startIndex + length)...]
        }
        return out
    }
}
