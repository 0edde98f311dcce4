/// A Debian package version, `[epoch:]upstream[-revision]`, ordered as `dpkg --compare-versions`.
///
/// Parsing follows dpkg's `parseversion()`: its errors (empty, embedded space, bad epoch, empty
/// revision) are errors here; its warnings (upstream not starting with a digit, unusual characters)
/// are accepted, as `dpkg --compare-versions` accepts them.
public struct DpkgVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.dpkg

    /// The trimmed text.
    public let text: String
    /// The epoch (0 when absent).
    public let epoch: Int
    /// Byte offsets of the upstream part and the revision inside `text` (revision may be empty).
    private let upstream: Range<Int>
    private let revision: Range<Int>

    public init(parsing raw: String) throws(VersionError) {
        var bytes = Array(raw.utf8)
        if bytes.isEmpty { throw Self.invalid(raw, "version string is empty") }
        // dpkg trims leading and trailing blanks (space and tab) and then rejects inner spaces.
        while let first = bytes.first, ASCII.isBlank(first) { bytes.removeFirst() }
        while let last = bytes.last, ASCII.isSpace(last) { bytes.removeLast() }
        if bytes.isEmpty { throw Self.invalid(raw, "version string is empty") }
        if bytes.contains(where: ASCII.isSpace) { throw Self.invalid(raw, "version string has embedded spaces") }

        var start = 0
        var epoch = 0
        if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            let digits = bytes[0..<colon]
            if digits.isEmpty { throw Self.invalid(raw, "epoch in version is empty") }
            var body = digits[...]
            var negative = false
            if let sign = body.first, sign == UInt8(ascii: "-") || sign == UInt8(ascii: "+") {
                negative = sign == UInt8(ascii: "-")
                body = body.dropFirst()
            }
            guard !body.isEmpty, body.allSatisfy(ASCII.isDigit) else {
                throw Self.invalid(raw, "epoch in version is not number")
            }
            let significant = body.drop { $0 == 0x30 }
            if negative && !significant.isEmpty { throw Self.invalid(raw, "epoch in version is negative") }
            guard significant.count <= 10, let value = Int(String(decoding: significant.isEmpty ? [0x30] : Array(significant), as: UTF8.self)),
                  value <= Int(Int32.max)
            else { throw Self.invalid(raw, "epoch in version is too big") }
            epoch = negative ? 0 : value
            start = colon + 1
            if start == bytes.count { throw Self.invalid(raw, "nothing after colon in version number") }
        }
        var upstreamEnd = bytes.count
        var revisionStart = bytes.count
        if let hyphen = bytes[start...].lastIndex(of: UInt8(ascii: "-")) {
            if hyphen == bytes.count - 1 { throw Self.invalid(raw, "revision number is empty") }
            upstreamEnd = hyphen
            revisionStart = hyphen + 1
        }
        if upstreamEnd == start { throw Self.invalid(raw, "version number is empty") }
        self.text = String(decoding: bytes, as: UTF8.self)
        self.epoch = epoch
        self.upstream = start..<upstreamEnd
        self.revision = revisionStart..<bytes.count
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(a, b) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(a, b) < 0 }
    public func hash(into hasher: inout Hasher) { hasher.combine(epoch) }

    /// dpkg's `dpkg_version_compare`: epoch, then upstream, then revision, each with `verrevcmp`.
    static func compare(_ a: Self, _ b: Self) -> Int {
        if a.epoch != b.epoch { return a.epoch < b.epoch ? -1 : 1 }
        return ASCII.withBytes(a.text) { pa in
            ASCII.withBytes(b.text) { pb in
                let r = verrevcmp(pa, a.upstream, pb, b.upstream)
                return r != 0 ? r : verrevcmp(pa, a.revision, pb, b.revision)
            }
        }
    }

    /// dpkg's character weight: `~` before the end of the string, letters before other symbols.
    @inline(__always)
    private static func order(_ c: UInt8) -> Int {
        if ASCII.isDigit(c) { return 0 }
        if ASCII.isAlpha(c) { return Int(c) }
        if c == UInt8(ascii: "~") { return -1 }
        return Int(c) + 256
    }

    private static func verrevcmp(
        _ a: UnsafeBufferPointer<UInt8>, _ ra: Range<Int>, _ b: UnsafeBufferPointer<UInt8>, _ rb: Range<Int>
    ) -> Int {
        var i = ra.lowerBound, j = rb.lowerBound
        let ie = ra.upperBound, je = rb.upperBound
        while i < ie || j < je {
            var firstDiff = 0
            while (i < ie && !ASCII.isDigit(a[i])) || (j < je && !ASCII.isDigit(b[j])) {
                let ac = i < ie ? order(a[i]) : 0
                let bc = j < je ? order(b[j]) : 0
                if ac != bc { return ac < bc ? -1 : 1 }
                i += 1
                j += 1
            }
            while i < ie && a[i] == UInt8(ascii: "0") { i += 1 }
            while j < je && b[j] == UInt8(ascii: "0") { j += 1 }
            while i < ie && j < je && ASCII.isDigit(a[i]) && ASCII.isDigit(b[j]) {
                if firstDiff == 0 { firstDiff = Int(a[i]) - Int(b[j]) }
                i += 1
                j += 1
            }
            if i < ie && ASCII.isDigit(a[i]) { return 1 }
            if j < je && ASCII.isDigit(b[j]) { return -1 }
            if firstDiff != 0 { return firstDiff < 0 ? -1 : 1 }
        }
        return 0
    }
}
