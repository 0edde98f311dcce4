import CCompression
import Crypto
import Foundation

/// How a layer blob is compressed.
public enum LayerCompression: String, Sendable {
    case none, gzip, zstd

    /// From an OCI or Docker media type (`...tar+gzip`, `...tar.gzip`, `...tar+zstd`, `...tar`);
    /// nil when the type says nothing (then the bytes are sniffed).
    public init?(mediaType: String) {
        let t = mediaType.lowercased()
        if t.hasSuffix("gzip") { self = .gzip } else if t.hasSuffix("zstd") { self = .zstd } else if t.hasSuffix(".tar") || t.hasSuffix("tar") { self = .none } else { return nil }
    }

    /// From the first bytes: gzip's 1f 8b, zstd's 28 b5 2f fd, else uncompressed.
    public init(sniffing head: Data) {
        let b = [UInt8](head.prefix(4))
        if b.count >= 2, b[0] == 0x1F, b[1] == 0x8B { self = .gzip } else if b.count >= 4, b == [0x28, 0xB5, 0x2F, 0xFD] { self = .zstd } else { self = .none }
    }
}

/// Bounds on one layer, because layers are hostile input: decompression bombs are stopped by an
/// absolute size and by a ratio (checked once the output passes `ratioGrace`).
public struct LayerLimits: Hashable, Sendable {
    public var maxUncompressedSize: Int64
    public var maxRatio: Int64
    public var ratioGrace: Int64
    public var maxEntries: Int
    /// Largest PAX extended header or GNU long name.
    public var maxHeaderSize: Int

    public init(maxUncompressedSize: Int64 = 16 << 30, maxRatio: Int64 = 200, ratioGrace: Int64 = 64 << 20, maxEntries: Int = 2_000_000, maxHeaderSize: Int = 1 << 20) {
        self.maxUncompressedSize = maxUncompressedSize
        self.maxRatio = maxRatio
        self.maxEntries = maxEntries
        self.ratioGrace = ratioGrace
        self.maxHeaderSize = maxHeaderSize
    }
}

/// A byte range of a file (a blob in an OCI layout, a member of a docker-archive tarball).
public struct FileRange: Sendable {
    public var path: String
    public var offset: Int64
    public var length: Int64

    public init(path: String, offset: Int64 = 0, length: Int64) {
        self.path = path
        self.offset = offset
        self.length = length
    }

    /// The whole file.
    public init(path: String) throws {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        self.init(path: path, offset: 0, length: (attributes[.size] as? NSNumber)?.int64Value ?? 0)
    }
}

/// One layer blob read once, in order: its compressed bytes are hashed as they are read (the
/// digest is checked when the blob ends) and decompressed into a bounded buffer. `read` hands out
/// the uncompressed tar stream.
public final class LayerStream {
    public let name: String
    let source: FileRange
    let handle: FileHandle
    let compression: LayerCompression
    let expectedDigest: String?
    let limits: LayerLimits
    var hasher = SHA256()
    var consumed: Int64 = 0
    /// Uncompressed bytes produced so far.
    public private(set) var produced: Int64 = 0
    var input: [UInt8] = []
    var inputStart = 0
    var sourceEnded = false
    var decompressorEnded = false
    var output: [UInt8] = []
    var outputStart = 0
    var zlib: UnsafeMutablePointer<z_stream>?
    var zstd: OpaquePointer?
    var zstdFrameDone = false
    static let chunk = 1 << 20

    /// - Parameters:
    ///   - name: names the layer in every error (`image@sha256:… layer sha256:…`).
    ///   - expectedDigest: `sha256:<hex>` checked against the compressed bytes, or nil.
    public init(name: String, source: FileRange, compression: LayerCompression?, expectedDigest: String?, limits: LayerLimits = LayerLimits()) throws {
        self.name = name
        self.source = source
        self.expectedDigest = expectedDigest
        self.limits = limits
        guard let handle = FileHandle(forReadingAtPath: source.path) else { throw ArchiveError.corrupt(source: name, reason: "cannot open \(source.path)") }
        self.handle = handle
        try handle.seek(toOffset: UInt64(source.offset))
        if let expectedDigest, !expectedDigest.hasPrefix("sha256:") {
            throw ArchiveError.corrupt(source: name, reason: "unsupported digest algorithm in '\(expectedDigest)' (only sha256)")
        }
        if let compression {
            self.compression = compression
        } else {
            // Sniff without consuming: the bytes stay in the input buffer.
            let head = source.length > 0 ? [UInt8](try handle.read(upToCount: Int(min(Int64(Self.chunk), source.length))) ?? Data()) : []
            input = head
            consumed = Int64(head.count)
            sourceEnded = consumed >= source.length
            hasher.update(data: head)
            self.compression = LayerCompression(sniffing: Data(head.prefix(4)))
        }
        switch self.compression {
        case .gzip:
            let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
            stream.initialize(to: z_stream())
            // 15 window bits + 32: zlib detects gzip headers itself.
            guard inflateInit2_(stream, 15 + 32, zlibVersion(), Int32(MemoryLayout<z_stream>.size)) == Z_OK else {
                stream.deallocate()
                throw ArchiveError.corrupt(source: name, reason: "zlib would not start")
            }
            zlib = stream
        case .zstd:
            zstd = ZSTD_createDCtx()
        case .none:
            break
        }
    }

    deinit {
        if let zlib {
            inflateEnd(zlib)
            zlib.deinitialize(count: 1)
            zlib.deallocate()
        }
        if let zstd { ZSTD_freeDCtx(zstd) }
        try? handle.close()
    }

    /// Up to `count` uncompressed bytes; empty at the end of the layer (after the digest was checked).
    public func read(_ count: Int) throws -> Data {
        while outputStart >= output.count {
            if decompressorEnded || (compression == .none && sourceEnded && inputStart >= input.count) {
                try finishSource()
                return Data()
            }
            try fill()
        }
        let n = min(count, output.count - outputStart)
        defer { outputStart += n }
        return Data(output[outputStart..<(outputStart + n)])
    }

    /// True when skipping can seek instead of reading (uncompressed and not hashed: an outer archive).
    var canSeek: Bool { compression == .none && expectedDigest == nil }

    /// The offset in the uncompressed stream of the next byte `read` returns.
    var position: Int64 { produced - Int64(output.count - outputStart) }

    /// Skips `count` bytes by seeking (only when `canSeek`).
    func seekForward(_ count: Int64) throws {
        let buffered = Int64(output.count - outputStart)
        if count <= buffered {
            outputStart += Int(count)
            return
        }
        outputStart = output.count
        let left = count - buffered
        guard consumed + left <= source.length else {
            throw ArchiveError.corrupt(source: name, reason: "truncated: an entry runs past the end of the file")
        }
        consumed += left
        produced += left
        try handle.seek(toOffset: UInt64(source.offset + consumed))
        if consumed == source.length { sourceEnded = true }
    }

    /// Reads and discards the rest of the blob, checking its digest: a layer is only trusted once
    /// every byte was hashed.
    public func drain() throws {
        while try !read(Self.chunk).isEmpty {}
    }

    /// More compressed input from the file, hashed as it arrives.
    func refill() throws {
        guard !sourceEnded else { return }
        let remaining = source.length - consumed
        guard remaining > 0 else {
            sourceEnded = true
            return
        }
        let data = try handle.read(upToCount: Int(min(Int64(Self.chunk), remaining))) ?? Data()
        if data.isEmpty {
            throw ArchiveError.corrupt(source: name, reason: "blob is truncated: \(consumed) of \(source.length) bytes")
        }
        hasher.update(data: data)
        consumed += Int64(data.count)
        input = [UInt8](data)
        inputStart = 0
        if consumed >= source.length { sourceEnded = true }
    }

    /// Produces the next piece of output.
    func fill() throws {
        output.removeAll(keepingCapacity: true)
        outputStart = 0
        if inputStart >= input.count && !sourceEnded { try refill() }
        // With no input left the decompressor is still asked: it may hold output; if it holds none
        // the stream is truncated (each step says so).
        switch compression {
        case .none:
            if inputStart >= input.count { return }
            output = Array(input[inputStart...])
            inputStart = input.count
        case .gzip:
            try inflateStep()
        case .zstd:
            try zstdStep()
        }
        produced += Int64(output.count)
        if produced > limits.maxUncompressedSize {
            throw ArchiveError.corrupt(source: name, reason: "decompresses beyond the \(limits.maxUncompressedSize)-byte limit")
        }
        if produced > limits.ratioGrace, compression != .none, produced > limits.maxRatio * max(consumed, 1) {
            throw ArchiveError.corrupt(source: name, reason: "decompression ratio above \(limits.maxRatio):1 (\(produced) bytes from \(consumed)): a decompression bomb?")
        }
    }

    func inflateStep() throws {
        guard let zlib else { return }
        output = [UInt8](repeating: 0, count: Self.chunk)
        let available = input.count - inputStart
        var status: Int32 = Z_OK
        var written = 0
        if input.isEmpty { input = [0] ; inputStart = 1 }
        input.withUnsafeMutableBufferPointer { inBuffer in
            output.withUnsafeMutableBufferPointer { outBuffer in
                zlib.pointee.next_in = inBuffer.baseAddress! + inputStart
                zlib.pointee.avail_in = UInt32(available)
                zlib.pointee.next_out = outBuffer.baseAddress!
                zlib.pointee.avail_out = UInt32(outBuffer.count)
                status = CCompression.inflate(zlib, Z_NO_FLUSH)
                written = outBuffer.count - Int(zlib.pointee.avail_out)
            }
        }
        inputStart += available - Int(zlib.pointee.avail_in)
        output.removeSubrange(written...)
        switch status {
        case Z_OK, Z_BUF_ERROR:
            if written == 0 && inputStart >= input.count && sourceEnded {
                throw ArchiveError.corrupt(source: name, reason: "truncated gzip stream (the blob ends inside it)")
            }
        case Z_STREAM_END:
            // Concatenated gzip members continue; anything else after the end must be padding.
            if inputStart >= input.count { try refill() }
            if inputStart < input.count, input[inputStart] == 0x1F {
                inflateReset(zlib)
            } else {
                while true {
                    if input[inputStart...].contains(where: { $0 != 0 }) {
                        throw ArchiveError.corrupt(source: name, reason: "data after the end of the gzip stream")
                    }
                    inputStart = input.count
                    if sourceEnded { break }
                    try refill()
                }
                decompressorEnded = true
            }
        default:
            let message = zlib.pointee.msg.map { String(cString: $0) } ?? "error \(status)"
            throw ArchiveError.corrupt(source: name, reason: "invalid gzip data (\(message))")
        }
    }

    func zstdStep() throws {
        guard let zstd else { return }
        if zstdFrameDone && inputStart >= input.count && sourceEnded {
            decompressorEnded = true
            return
        }
        output = [UInt8](repeating: 0, count: Self.chunk)
        var result = 0
        var written = 0
        var read = 0
        if input.isEmpty { input = [0] ; inputStart = 1 }
        input.withUnsafeMutableBytes { inRaw in
            output.withUnsafeMutableBytes { outRaw in
                var inBuffer = ZSTD_inBuffer(src: inRaw.baseAddress! + inputStart, size: inRaw.count - inputStart, pos: 0)
                var outBuffer = ZSTD_outBuffer(dst: outRaw.baseAddress!, size: outRaw.count, pos: 0)
                result = ZSTD_decompressStream(zstd, &outBuffer, &inBuffer)
                written = outBuffer.pos
                read = inBuffer.pos
            }
        }
        inputStart += read
        output.removeSubrange(written...)
        if ZSTD_isError(result) != 0 {
            throw ArchiveError.corrupt(source: name, reason: "invalid zstd data (\(String(cString: ZSTD_getErrorName(result))))")
        }
        zstdFrameDone = result == 0
        if result == 0 && inputStart >= input.count && sourceEnded {
            decompressorEnded = true
        } else if result != 0 && written == 0 && inputStart >= input.count && sourceEnded {
            throw ArchiveError.corrupt(source: name, reason: "truncated zstd stream (the blob ends inside it)")
        }
    }

    /// At the end of the output: the rest of the blob is hashed and the digest compared.
    func finishSource() throws {
        if sourceEndedAndVerified { return }
        while !sourceEnded {
            try refill()
            if compression != .none, input[inputStart...].contains(where: { $0 != 0 }) {
                throw ArchiveError.corrupt(source: name, reason: "data after the end of the \(compression.rawValue) stream")
            }
            inputStart = input.count
        }
        guard let expectedDigest else { return }
        let actual = "sha256:" + hasher.finalize().map { String(format: "%02x", $0) }.joined()
        guard actual == expectedDigest.lowercased() else {
            throw ArchiveError.corrupt(source: name, reason: "digest mismatch: content is \(actual), expected \(expectedDigest)")
        }
        hasher = SHA256()  // finalize once; a second call finds nothing to check
        sourceEndedAndVerified = true
    }

    var sourceEndedAndVerified = false
}

/// Hex SHA-256 of data, as `sha256:<hex>`.
public func sha256Digest(_ data: Data) -> String {
    "sha256:" + SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined()
}
