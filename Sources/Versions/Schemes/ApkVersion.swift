/// An Alpine package version, ordered as apk-tools orders them.
///
/// The grammar is Gentoo's, as apk-tools' `version.c` tokenises it:
/// `number{.number}...{letter}{_suffix{number}}...{-rN}` where the suffixes `_alpha`, `_beta`,
/// `_pre`, `_rc` sort before the release and `_cvs`, `_svn`, `_git`, `_hg`, `_p` after it. A dotted
/// component with leading zeros compares as a decimal fraction (`1.05` < `1.5`, `1.005` < `1.05`).
/// Two deliberate departures from apk-tools 2.x's code, where it contradicts its documented rules:
/// numbers of any length compare exactly (apk-tools overflows a C `int`), and a component that is
/// only zeros is the number 0, so `1.0_rc1` sorts before `1.0` as the grammar says (apk-tools 2.x
/// reads the lone `0` as a fraction and puts `1.0_rc1` after `1.0`).
public struct ApkVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.apk

    public let text: String
    private let tokens: [Token]

    /// apk-tools' token kinds, in the order it uses to decide which of two versions is longer.
    enum Kind: Int, Comparable, Hashable, Sendable {
        case digitOrZero, digit, letter, suffix, suffixNumber, revision, end
        static func < (a: Kind, b: Kind) -> Bool { a.rawValue < b.rawValue }
    }

    enum Value: Hashable, Sendable {
        /// A small signed value: a letter's code, a suffix's rank, or minus the count of leading zeros.
        case small(Int)
        /// A run of digits without leading zeros.
        case number([UInt8])

        static func compare(_ a: Value, _ b: Value) -> Int {
            switch (a, b) {
            case let (.small(x), .small(y)): return Int.sign(x, y)
            case let (.number(x), .number(y)): return ASCII.compareNumerals(x, y)
            case let (.small(x), .number(y)): return x < 0 || !y.isEmpty ? -1 : Int.sign(x, 0)
            case let (.number(x), .small(y)): return -compare(.small(y), .number(x))
            }
        }
    }

    struct Token: Hashable, Sendable {
        var kind: Kind
        var value: Value
    }

    private static let preSuffixes = ["alpha", "beta", "pre", "rc"].map { Array($0.utf8) }
    private static let postSuffixes = ["cvs", "svn", "git", "hg", "p"].map { Array($0.utf8) }

    public init(parsing text: String) throws(VersionError) {
        let b = Array(text.utf8)
        if b.isEmpty { throw Self.invalid(text, "version string is empty") }
        var tokens: [Token] = []
        var kind = Kind.digit
        var i = 0
        while kind != .end {
            // get_token: read the value of a token of `kind` starting at i.
            var value: Value
            var forced: Kind?
            if i >= b.count {
                // A trailing separator ('1.', '1_', '1-r') leaves an empty component, which apk-tools reads as 0.
                tokens.append(Token(kind: kind, value: .small(0)))
                break
            }
            switch kind {
            case .digitOrZero where b[i] == UInt8(ascii: "0") && i + 1 < b.count && ASCII.isDigit(b[i + 1]):
                var zeros = 0
                while i < b.count && b[i] == UInt8(ascii: "0") { zeros += 1; i += 1 }
                value = .small(-zeros)
                forced = .digit
            case .digitOrZero, .digit, .suffixNumber, .revision:
                let start = i
                while i < b.count && ASCII.isDigit(b[i]) { i += 1 }
                value = .number(Array(b[start..<i].drop { $0 == 0x30 }))
            case .letter:
                value = .small(Int(b[i]))
                i += 1
            case .suffix:
                if let rank = Self.preSuffixes.firstIndex(where: { b[i...].starts(with: $0) }) {
                    value = .small(rank - Self.preSuffixes.count)
                    i += Self.preSuffixes[rank].count
                } else if let rank = Self.postSuffixes.firstIndex(where: { b[i...].starts(with: $0) }) {
                    value = .small(rank)
                    i += Self.postSuffixes[rank].count
                } else {
                    throw Self.invalid(text, "unknown suffix at offset \(i) (expected _alpha, _beta, _pre, _rc, _cvs, _svn, _git, _hg or _p)")
                }
            case .end:
                value = .small(0)  // not reached: the loop stops at .end
            }
            tokens.append(Token(kind: kind, value: value))
            if i >= b.count {
                kind = .end
            } else if let forced {
                kind = forced
            } else {
                kind = try Self.nextKind(after: kind, bytes: b, at: &i, text: text)
            }
        }
        self.text = text
        self.tokens = tokens
    }

    /// apk-tools' `next_token`: what kind of token starts at i, consuming its separator.
    private static func nextKind(after kind: Kind, bytes b: [UInt8], at i: inout Int, text: String) throws(VersionError) -> Kind {
        let c = b[i]
        var next: Kind
        if (kind == .digit || kind == .digitOrZero) && ASCII.isLower(c) {
            next = .letter
        } else if kind == .letter && ASCII.isDigit(c) {
            next = .digit
        } else if kind == .suffix && ASCII.isDigit(c) {
            next = .suffixNumber
        } else {
            switch c {
            case UInt8(ascii: "."): next = .digitOrZero
            case UInt8(ascii: "_"): next = .suffix
            case UInt8(ascii: "-") where i + 1 < b.count && b[i + 1] == UInt8(ascii: "r"):
                next = .revision
                i += 1
            default:
                throw invalid(text, "unexpected '\(Unicode.Scalar(c))' at offset \(i)")
            }
            i += 1
        }
        if next < kind && !((next == .digitOrZero && kind == .digit) || (next == .suffix && kind == .suffixNumber) || (next == .digit && kind == .letter)) {
            throw invalid(text, "component out of order at offset \(i)")
        }
        return next
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(a, b) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(a, b) < 0 }
    /// Equal versions have the same token kinds (values like `0` and an empty component may differ).
    public func hash(into hasher: inout Hasher) { hasher.combine(tokens.map(\.kind)) }

    /// apk-tools' `apk_version_compare_blob`.
    static func compare(_ a: Self, _ b: Self) -> Int {
        var k = 0
        let n = min(a.tokens.count, b.tokens.count)
        while k < n {
            let (x, y) = (a.tokens[k], b.tokens[k])
            if x.kind != y.kind { break }
            let r = Value.compare(x.value, y.value)
            if r != 0 { return r }
            k += 1
        }
        let at = k < a.tokens.count ? a.tokens[k] : nil
        let bt = k < b.tokens.count ? b.tokens[k] : nil
        let ak = at?.kind ?? .end, bk = bt?.kind ?? .end
        if ak == bk { return 0 }
        // The longer version is newer, unless what it continues with is a pre-release suffix.
        if ak == .suffix, case let .small(v)? = at?.value, v < 0 { return -1 }
        if bk == .suffix, case let .small(v)? = bt?.value, v < 0 { return 1 }
        if ak > bk { return -1 }
        if bk > ak { return 1 }
        return 0
    }
}
