/// A Debian package version, `[epoch:]upstream[-revision]`, ordered as `dpkg --compare-versions`.
///
/// Parsing follows dpkg's `parseversion()`: its errors (empty, embedded space, bad epoch, empty
/// revision) are errors here; its warnings (upstream not starting with a digit, unusual characters)
/// are accepted, as `dpkg --compare-versions` accepts them.
public struct DpkgVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.dpkg

    /// The text as given.
    public let text: String
    /// The epoch (0 when absent).
    public let epoch: Int
    /// Byte offsets of the upstream part and the revision inside `text` (revision may be empty).
    private let upstream: Range<Int>
    private let revision: Range<Int>

    public init(parsing raw: String) throws(VersionError) {
        // Scanned in place: no copy of the text is made, which keeps `versions compare --batch` fast.
        switch ASCII.withBytes(raw, Self.layout) {
        case let .success(layout):
            text = raw
            epoch = layout.epoch
            upstream = layout.upstream
            revision = layout.revision
        case let .failure(problem):
            throw Self.invalid(raw, problem.reason)
        }
    }

    private struct Layout {
        var epoch: Int
        var upstream: Range<Int>
        var revision: Range<Int>
    }

    private struct Problem: Error {
        var reason: String
    }

    /// dpkg's `parseversion()` over the bytes: offsets of upstream and revision, and the epoch.
    private static func layout(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Layout, Problem> {
        var start = 0
        var end = bytes.count
        // dpkg trims leading blanks (space, tab) and trailing white space, then rejects inner spaces.
        while start < end && ASCII.isBlank(bytes[start]) { start += 1 }
        while end > start && ASCII.isSpace(bytes[end - 1]) { end -= 1 }
        if start == end { return .failure(Problem(reason: "version string is empty")) }
        var colon: Int?
        var hyphen: Int?
        for i in start..<end {
            let c = bytes[i]
            if ASCII.isSpace(c) { return .failure(Problem(reason: "version string has embedded spaces")) }
            if c == UInt8(ascii: ":") && colon == nil { colon = i }
            if c == UInt8(ascii: "-") { hyphen = i }
        }
        var epoch = 0
        if let colon {
            var i = start
            if i == colon { return .failure(Problem(reason: "epoch in version is empty")) }
            var negative = false
            if bytes[i] == UInt8(ascii: "-") || bytes[i] == UInt8(ascii: "+") {
                negative = bytes[i] == UInt8(ascii: "-")
                i += 1
            }
            if i == colon || !(i..<colon).allSatisfy({ ASCII.isDigit(bytes[$0]) }) {
                return .failure(Problem(reason: "epoch in version is not number"))
            }
            while i < colon && bytes[i] == UInt8(ascii: "0") { i += 1 }
            if negative && i < colon { return .failure(Problem(reason: "epoch in version is negative")) }
            if colon - i > 10 { return .failure(Problem(reason: "epoch in version is too big")) }
            for k in i..<colon { epoch = epoch * 10 + Int(bytes[k] - 0x30) }
            if epoch > Int(Int32.max) { return .failure(Problem(reason: "epoch in version is too big")) }
            start = colon + 1
            if start == end { return .failure(Problem(reason: "nothing after colon in version number")) }
        }
        var upstreamEnd = end
        var revisionStart = end
        if let hyphen, hyphen >= start {
            if hyphen == end - 1 { return .failure(Problem(reason: "revision number is empty")) }
            upstreamEnd = hyphen
            revisionStart = hyphen + 1
        }
        if upstreamEnd == start { return .failure(Problem(reason: "version number is empty")) }
        return .success(Layout(epoch: epoch, upstream: start..<upstreamEnd, revision: revisionStart..<end))
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
