/// A Composer (Packagist) package version, ordered as Composer orders them: normalised by
/// composer/semver's `VersionParser::normalize`, then compared with PHP's `version_compare`.
///
/// Normalisation pads to four numbers (`1.2` → `1.2.0.0`), strips a `v` prefix and `+build`
/// metadata, expands stability flags (`a`/`alpha`, `b`/`beta`, `RC`, `p`/`pl`/`patch`, `-dev`) and
/// accepts date versions (`2010-01-02`). Branch versions (`dev-main`) have no order and are errors.
public struct ComposerVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.packagist

    public let text: String
    /// The normalised form, e.g. `1.2.0.0-beta2`.
    public let normalized: String
    private let pieces: [Piece]

    enum Piece: Hashable, Sendable {
        case number([UInt8])
        case special(Int)
    }

    public init(parsing text: String) throws(VersionError) {
        let normalized = try Self.normalize(text)
        self.text = text
        self.normalized = normalized
        self.pieces = Self.canonicalPieces(Array(normalized.utf8))
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(a.pieces[...], b.pieces[...]) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(a.pieces[...], b.pieces[...]) < 0 }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(pieces.prefix { if case .number = $0 { true } else { false } })
    }

    // MARK: Normalisation (composer/semver VersionParser::normalize)

    private static func normalize(_ raw: String) throws(VersionError) -> String {
        var version = Substring(raw).drop(while: { $0.isWhitespace })
        while version.last?.isWhitespace == true { version = version.dropLast() }
        if version.isEmpty { throw invalid(raw, "version string is empty") }
        // A trailing stability flag (`@dev`) belongs to constraints; Composer drops it.
        if let at = version.lastIndex(of: "@"),
           ["stable", "rc", "beta", "alpha", "dev"].contains(version[version.index(after: at)...].lowercased()) {
            version = version[..<at]
        }
        let lower = version.lowercased()
        if ["master", "trunk", "default"].contains(lower) || lower.hasPrefix("dev-") {
            throw invalid(raw, "branch versions have no order")
        }
        if let plus = version.firstIndex(of: "+"), plus != version.startIndex,
           !version[version.index(after: plus)...].isEmpty {
            version = version[..<plus]
        }
        var bytes = Array(version.utf8.map(ASCII.lowercased))[...]
        if bytes.first == UInt8(ascii: "v") { bytes = bytes.dropFirst() }
        if let normalized = classical(bytes) ?? date(bytes) { return normalized }
        throw invalid(raw, "not a version Composer can normalise (expected e.g. 1.2.3, 1.2.3-beta2, 1.2.3-dev or 2010-01-02)")
    }

    /// `(\d{1,5}+)(\.\d++)?(\.\d++)?(\.\d++)?` + modifier, padded to four numbers.
    private static func classical(_ b: ArraySlice<UInt8>) -> String? {
        var i = b.startIndex
        var numbers: [String] = []
        while numbers.count < 4 {
            var s = i
            if !numbers.isEmpty {
                guard i < b.endIndex, b[i] == UInt8(ascii: "."), i + 1 < b.endIndex, ASCII.isDigit(b[i + 1]) else { break }
                s = i + 1
            }
            var e = s
            while e < b.endIndex && ASCII.isDigit(b[e]) { e += 1 }
            if numbers.isEmpty && !(1...5).contains(e - s) { return nil }
            numbers.append(String(decoding: b[s..<e], as: UTF8.self))
            i = e
        }
        while numbers.count < 4 { numbers.append("0") }
        return modifier(b[i...], head: numbers.joined(separator: "."))
    }

    /// `(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + modifier, non-digits turned into dots.
    private static func date(_ b: ArraySlice<UInt8>) -> String? {
        var i = b.startIndex
        guard b.count >= 4, b.prefix(4).allSatisfy(ASCII.isDigit) else { return nil }
        var head = String(decoding: b.prefix(4), as: UTF8.self)
        i += 4
        func group(_ lengths: ClosedRange<Int>) -> Bool {
            var s = i
            var separator = ""
            if s < b.endIndex && ":.-".utf8.contains(b[s]) { s += 1; separator = "." }
            var e = s
            while e < b.endIndex && ASCII.isDigit(b[e]) && e - s < lengths.upperBound { e += 1 }
            guard lengths.contains(e - s) else { return false }
            head += separator + String(decoding: b[s..<e], as: UTF8.self)
            i = e
            return true
        }
        var pairs = 0
        while pairs < 6 && group(2...2) { pairs += 1 }
        guard pairs >= 1 else { return nil }
        var tail = 0
        while tail < 2 && group(1...3) { tail += 1 }
        return modifier(b[i...], head: head)
    }

    /// `[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*+)?)?([.-]?dev)?$` appended to
    /// `head` the way Composer writes it (`-beta2`, `-patch1`, `-dev`); nil when the rest does not match.
    private static func modifier(_ rest: ArraySlice<UInt8>, head: String) -> String? {
        for skipSeparator in [true, false] {
            var j = rest.startIndex
            if skipSeparator {
                guard j < rest.endIndex, "._-".utf8.contains(rest[j]) else { continue }
                j += 1
            }
            var out = head
            var stable = false
            if let word = ["stable", "beta", "b", "rc", "alpha", "a", "patch", "pl", "p"].first(where: { rest[j...].starts(with: $0.utf8) }) {
                j += word.utf8.count
                var number = ""
                while true {
                    var s = j
                    if s < rest.endIndex && ".-".utf8.contains(rest[s]) { s += 1 }
                    var e = s
                    while e < rest.endIndex && ASCII.isDigit(rest[e]) { e += 1 }
                    if e == s { break }
                    number += String(decoding: rest[s..<e], as: UTF8.self)
                    j = e
                }
                switch word {
                case "stable": stable = true
                case "a", "alpha": out += "-alpha" + number
                case "b", "beta": out += "-beta" + number
                case "p", "pl", "patch": out += "-patch" + number
                default: out += "-RC" + number
                }
            }
            var k = j
            if k < rest.endIndex && ".-".utf8.contains(rest[k]) { k += 1 }
            if rest[k...].elementsEqual("dev".utf8) {
                return stable ? head : out + "-dev"
            }
            if j == rest.endIndex { return stable ? head : out }
        }
        return nil
    }

    // MARK: PHP version_compare

    /// PHP's `php_canonicalize_version` then split at dots: `-`, `_`, `+` and digit/letter
    /// transitions become dots.
    private static func canonicalPieces(_ v: [UInt8]) -> [Piece] {
        var words: [[UInt8]] = []
        var previous: UInt8?
        for c in v {
            defer { previous = c }
            // Every non-alphanumeric byte is a separator; a digit/letter change starts a new word.
            guard ASCII.isAlphanumeric(c) else { continue }
            if let p = previous, ASCII.isAlphanumeric(p), ASCII.isDigit(p) == ASCII.isDigit(c) {
                words[words.count - 1].append(c)
            } else {
                words.append([c])
            }
        }
        return words.map { w in
            ASCII.isDigit(w[0]) ? .number(Array(w.drop { $0 == 0x30 })) : .special(specialRank(w))
        }
    }

    /// `compare_special_version_forms`: matched by prefix, in PHP's table order; unknown words rank lowest.
    private static func specialRank(_ word: [UInt8]) -> Int {
        let forms: [(String, Int)] = [("dev", 0), ("alpha", 1), ("a", 1), ("beta", 2), ("b", 2), ("RC", 3), ("rc", 3), ("#", 4), ("pl", 5), ("p", 5)]
        for (name, rank) in forms where word.starts(with: name.utf8) { return rank }
        return -6
    }

    private static func compare(_ a: ArraySlice<Piece>, _ b: ArraySlice<Piece>) -> Int {
        for (x, y) in zip(a, b) {
            let r: Int
            switch (x, y) {
            case let (.number(p), .number(q)): r = ASCII.compareNumerals(p, q)
            case let (.special(p), .special(q)): r = Int.sign(p, q)
            case let (.number, .special(q)): r = Int.sign(4, q)
            case let (.special(p), .number): r = Int.sign(p, 4)
            }
            if r != 0 { return r }
        }
        if a.count > b.count {
            if case .number = a[a.startIndex + b.count] { return 1 }
            return compare(a.dropFirst(b.count), [.special(4)])
        }
        if b.count > a.count {
            if case .number = b[b.startIndex + a.count] { return -1 }
            return compare([.special(4)], b.dropFirst(a.count))
        }
        return 0
    }
}
