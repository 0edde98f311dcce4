/// An RPM `[epoch:]version[-release]`, ordered as rpm 4.18's `rpmverCmp` (what `rpm.vercmp` in rpm's
/// Lua and `rpmdev-vercmp` use): epochs, versions and releases each compared with `rpmvercmp`.
///
/// rpm accepts any text as a version; Vigil rejects only the empty string and control characters,
/// which no package can carry.
public struct RpmVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.rpm

    public let text: String
    /// Epoch digits ("0" when absent), version and release (nil when there is no `-`).
    public let epoch: String
    public let version: String
    public let release: String?

    public init(parsing text: String) throws(VersionError) {
        let bytes = Array(text.utf8)
        if bytes.isEmpty { throw Self.invalid(text, "version string is empty") }
        if bytes.contains(where: { $0 < 0x20 || $0 == 0x7F }) { throw Self.invalid(text, "contains a control character") }
        // rpmverParse: leading digits followed by ':' are the epoch; the last '-' after them starts the release.
        var s = 0
        while s < bytes.count && ASCII.isDigit(bytes[s]) { s += 1 }
        let hyphen = bytes[s...].lastIndex(of: UInt8(ascii: "-"))
        var versionStart = 0
        if s < bytes.count && bytes[s] == UInt8(ascii: ":") {
            epoch = s == 0 ? "0" : String(decoding: bytes[0..<s], as: UTF8.self)
            versionStart = s + 1
        } else {
            epoch = "0"
        }
        let versionEnd = hyphen ?? bytes.count
        version = String(decoding: bytes[versionStart..<versionEnd], as: UTF8.self)
        release = hyphen.map { String(decoding: bytes[($0 + 1)...], as: UTF8.self) }
        self.text = text
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(a, b) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(a, b) < 0 }
    public func hash(into hasher: inout Hasher) { hasher.combine(epoch.utf8.drop { $0 == 0x30 }.count) }

    static func compare(_ a: Self, _ b: Self) -> Int {
        var r = rpmvercmp(a.epoch, b.epoch)
        if r == 0 { r = rpmvercmp(a.version, b.version) }
        if r == 0 { r = rpmvercmp(a.release ?? "", b.release ?? "") }
        return r
    }

    /// rpm's `rpmvercmp`: alternating numeric and alphabetic segments; separators ignored; `~` sorts
    /// before anything (even the end), `^` after the end but before anything else.
    public static func rpmvercmp(_ a: String, _ b: String) -> Int {
        if a == b { return 0 }
        return ASCII.withBytes(a) { one in ASCII.withBytes(b) { two in rpmvercmp(one, two) } }
    }

    private static func rpmvercmp(_ one: UnsafeBufferPointer<UInt8>, _ two: UnsafeBufferPointer<UInt8>) -> Int {
        let tilde = UInt8(ascii: "~"), caret = UInt8(ascii: "^")
        var i = 0, j = 0
        let n = one.count, m = two.count
        func isSeparator(_ c: UInt8) -> Bool { !ASCII.isAlphanumeric(c) && c != tilde && c != caret }
        while i < n || j < m {
            while i < n && isSeparator(one[i]) { i += 1 }
            while j < m && isSeparator(two[j]) { j += 1 }
            let c1: UInt8? = i < n ? one[i] : nil
            let c2: UInt8? = j < m ? two[j] : nil
            if c1 == tilde || c2 == tilde {
                if c1 != tilde { return 1 }
                if c2 != tilde { return -1 }
                i += 1; j += 1
                continue
            }
            if c1 == caret || c2 == caret {
                if c1 == nil { return -1 }
                if c2 == nil { return 1 }
                if c1 != caret { return 1 }
                if c2 != caret { return -1 }
                i += 1; j += 1
                continue
            }
            guard let first = c1, c2 != nil else { break }
            let numeric = ASCII.isDigit(first)
            var ie = i, je = j
            while ie < n && (numeric ? ASCII.isDigit(one[ie]) : ASCII.isAlpha(one[ie])) { ie += 1 }
            while je < m && (numeric ? ASCII.isDigit(two[je]) : ASCII.isAlpha(two[je])) { je += 1 }
            // Segments of different kinds: a number is newer than letters.
            if je == j { return numeric ? 1 : -1 }
            let r = numeric
                ? ASCII.compareNumerals(one[i..<ie], two[j..<je])
                : ASCII.compareBytes(one[i..<ie], two[j..<je])
            if r != 0 { return r }
            i = ie
            j = je
        }
        if i >= n && j >= m { return 0 }
        return i >= n ? -1 : 1
    }
}
