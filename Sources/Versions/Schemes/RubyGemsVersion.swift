/// A RubyGems version, ordered as `Gem::Version#<=>` (RubyGems 3.x).
///
/// Segments are runs of digits or letters; a `-` reads as `.pre.`; any letter segment makes a
/// pre-release that sorts before the release. Trailing zeros of the numeric part and of the
/// pre-release part are ignored (`1.0` equals `1`, `1.0.a` equals `1.a`), and letters compare
/// case-sensitively.
public struct RubyGemsVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.rubygems

    public let text: String
    let segments: [Segment]

    enum Segment: Hashable, Sendable {
        /// Digits without leading zeros.
        case number([UInt8])
        case text(String)
    }

    public init(parsing text: String) throws(VersionError) {
        var bytes = Array(text.utf8)[...]
        bytes = bytes.drop(while: ASCII.isSpace)
        while let last = bytes.last, ASCII.isSpace(last) { bytes = bytes.dropLast() }
        if bytes.isEmpty { throw Self.invalid(text, "version string is empty") }
        // Gem::Version::VERSION_PATTERN: [0-9]+(\.[0-9a-zA-Z]+)*(-[0-9A-Za-z-]+(\.[0-9A-Za-z-]+)*)?
        var main = bytes
        var pre: ArraySlice<UInt8>?
        if let hyphen = bytes.firstIndex(of: UInt8(ascii: "-")) {
            main = bytes[..<hyphen]
            pre = bytes[(hyphen + 1)...]
        }
        for (n, part) in main.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false).enumerated() {
            guard !part.isEmpty, part.allSatisfy(n == 0 ? ASCII.isDigit : ASCII.isAlphanumeric) else {
                throw Self.invalid(text, "malformed segment '\(String(decoding: part, as: UTF8.self))'")
            }
        }
        if let pre {
            for part in pre.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                guard !part.isEmpty, part.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
                    throw Self.invalid(text, "malformed pre-release segment '\(String(decoding: part, as: UTF8.self))'")
                }
            }
        }
        // `@version.scan(/[0-9]+|[a-z]+/i)` after replacing "-" with ".pre.".
        var raw: [Segment] = []
        var i = bytes.startIndex
        while i < bytes.endIndex {
            let c = bytes[i]
            if c == UInt8(ascii: "-") {
                raw.append(.text("pre"))
                i += 1
            } else if ASCII.isDigit(c) {
                let start = i
                while i < bytes.endIndex && ASCII.isDigit(bytes[i]) { i += 1 }
                raw.append(.number(Array(bytes[start..<i].drop { $0 == 0x30 })))
            } else if ASCII.isAlpha(c) {
                let start = i
                while i < bytes.endIndex && ASCII.isAlpha(bytes[i]) { i += 1 }
                raw.append(.text(String(decoding: bytes[start..<i], as: UTF8.self)))
            } else {
                i += 1
            }
        }
        // canonical_segments: split at the first text segment, drop trailing zeros of each half.
        let split = raw.firstIndex { if case .text = $0 { true } else { false } } ?? raw.count
        self.segments = Self.droppingTrailingZeros(raw[..<split]) + Self.droppingTrailingZeros(raw[split...])
        self.text = text
    }

    private static func droppingTrailingZeros(_ segments: ArraySlice<Segment>) -> [Segment] {
        var s = Array(segments)
        while let last = s.last, last == .number([]) { s.removeLast() }
        return s
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(a, b) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(a, b) < 0 }
    public func hash(into hasher: inout Hasher) { hasher.combine(segments) }

    static func compare(_ a: Self, _ b: Self) -> Int {
        for k in 0..<max(a.segments.count, b.segments.count) {
            let x = k < a.segments.count ? a.segments[k] : .number([])
            let y = k < b.segments.count ? b.segments[k] : .number([])
            switch (x, y) {
            case let (.number(p), .number(q)):
                let r = ASCII.compareNumerals(p, q)
                if r != 0 { return r }
            case (.text, .number): return -1
            case (.number, .text): return 1
            case let (.text(p), .text(q)):
                let r = ASCII.compareBytes(p.utf8, q.utf8)
                if r != 0 { return r }
            }
        }
        return 0
    }
}
