/// A Python package version under PEP 440, ordered as `packaging.version.Version`.
///
/// Accepts PEP 440's permitted spellings (case, `v` prefix, `-`/`_`/`.` separators, `alpha`/`beta`/
/// `c`/`pre`/`preview`/`rev`/`r` aliases, implicit numbers, `1.0-1` post releases) and normalises
/// them; legacy non-PEP 440 versions are errors, as in `packaging` 22 and later.
public struct PEP440Version: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.pep440

    public let text: String
    /// Digits without leading zeros (empty means 0).
    typealias Number = [UInt8]

    let epoch: Number
    /// Release components with trailing zeros removed, so `1.0` and `1` compare and hash alike.
    let release: [Number]
    /// Pre-release phase (0 `a`, 1 `b`, 2 `rc`) and number.
    let pre: (phase: Int, number: Number)?
    let post: Number?
    let dev: Number?
    let local: [LocalPart]?

    enum LocalPart: Hashable, Comparable {
        case text(String)
        case number(Number)

        static func < (a: LocalPart, b: LocalPart) -> Bool {
            switch (a, b) {
            case let (.number(x), .number(y)): ASCII.compareNumerals(x, y) < 0
            case (.text, .number): true
            case (.number, .text): false
            case let (.text(x), .text(y)): x < y
            }
        }
    }

    public init(parsing text: String) throws(VersionError) {
        var scanner = Scanner(bytes: Array(text.utf8).map(ASCII.lowercased))
        scanner.trimWhitespace()
        if scanner.atEnd { throw Self.invalid(text, "version string is empty") }
        _ = scanner.take("v")
        var first = scanner.number()
        var epoch: Number = []
        if first != nil && scanner.take("!") {
            epoch = first ?? []
            first = scanner.number()
        }
        guard let leading = first else { throw Self.invalid(text, "expected a release number at offset \(scanner.offset)") }
        var release = [leading]
        while true {
            let mark = scanner.position
            if scanner.take("."), let n = scanner.number() { release.append(n); continue }
            scanner.position = mark
            break
        }
        while let last = release.last, last.isEmpty, release.count > 1 { release.removeLast() }
        if release == [[]] { release = [] }

        var pre: (Int, Number)?
        if let (word, number) = scanner.segment(keywords: ["alpha", "a", "beta", "b", "preview", "pre", "c", "rc"]) {
            let phase = switch word { case "alpha", "a": 0; case "beta", "b": 1; default: 2 }
            pre = (phase, number)
        }
        var post: Number?
        let mark = scanner.position
        if scanner.take("-"), let n = scanner.number() {
            post = n
        } else {
            scanner.position = mark
            if let (_, number) = scanner.segment(keywords: ["post", "rev", "r"]) { post = number }
        }
        var dev: Number?
        if let (_, number) = scanner.segment(keywords: ["dev"]) { dev = number }
        var local: [LocalPart]?
        if scanner.take("+") {
            var parts: [LocalPart] = []
            repeat {
                let word = scanner.alphanumerics()
                if word.isEmpty { throw Self.invalid(text, "empty local version segment at offset \(scanner.offset)") }
                parts.append(word.allSatisfy(ASCII.isDigit)
                    ? .number(Array(word.drop { $0 == 0x30 }))
                    : .text(String(decoding: word, as: UTF8.self)))
            } while scanner.takeSeparator()
            local = parts
        }
        if !scanner.atEnd { throw Self.invalid(text, "unexpected text at offset \(scanner.offset)") }
        self.text = text
        self.epoch = epoch
        self.release = release
        self.pre = pre
        self.post = post
        self.dev = dev
        self.local = local
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(a, b) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(a, b) < 0 }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(epoch)
        hasher.combine(release)
    }

    /// packaging's `_cmpkey`: epoch, release, pre (a dev-only release sorts before any pre-release),
    /// post, dev, local.
    static func compare(_ a: Self, _ b: Self) -> Int {
        var r = ASCII.compareNumerals(a.epoch, b.epoch)
        if r != 0 { return r }
        for k in 0..<max(a.release.count, b.release.count) {
            guard k < a.release.count else { return -1 }
            guard k < b.release.count else { return 1 }
            r = ASCII.compareNumerals(a.release[k], b.release[k])
            if r != 0 { return r }
        }
        r = compareBound(a.preKey, b.preKey) { x, y in
            x.0 != y.0 ? Int.sign(x.0, y.0) : ASCII.compareNumerals(x.1, y.1)
        }
        if r != 0 { return r }
        r = compareBound(a.post.map(Bound.value) ?? .low, b.post.map(Bound.value) ?? .low, ASCII.compareNumerals)
        if r != 0 { return r }
        r = compareBound(a.dev.map(Bound.value) ?? .high, b.dev.map(Bound.value) ?? .high, ASCII.compareNumerals)
        if r != 0 { return r }
        return compareBound(a.local.map(Bound.value) ?? .low, b.local.map(Bound.value) ?? .low) { x, y in
            x.lexicographicallyPrecedes(y) ? -1 : (y.lexicographicallyPrecedes(x) ? 1 : 0)
        }
    }

    enum Bound<T> {
        case low, value(T), high
    }

    private var preKey: Bound<(Int, Number)> {
        if let pre { return .value(pre) }
        return post == nil && dev != nil ? .low : .high
    }

    private static func compareBound<T>(_ a: Bound<T>, _ b: Bound<T>, _ compare: (T, T) -> Int) -> Int {
        switch (a, b) {
        case let (.value(x), .value(y)): compare(x, y)
        case (.low, .low), (.high, .high): 0
        case (.low, _), (_, .high): -1
        case (.high, _), (_, .low): 1
        }
    }

    /// A cursor over lowercased bytes implementing PEP 440's optional-separator grammar.
    private struct Scanner {
        var bytes: [UInt8]
        var position = 0
        var end: Int
        init(bytes: [UInt8]) {
            self.bytes = bytes
            end = bytes.count
        }
        var atEnd: Bool { position >= end }
        var offset: Int { position }

        mutating func trimWhitespace() {
            while position < end && ASCII.isSpace(bytes[position]) { position += 1 }
            while end > position && ASCII.isSpace(bytes[end - 1]) { end -= 1 }
        }
        mutating func take(_ c: Unicode.Scalar) -> Bool {
            guard position < end, bytes[position] == UInt8(ascii: c) else { return false }
            position += 1
            return true
        }
        mutating func takeSeparator() -> Bool {
            guard position < end, [UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: ".")].contains(bytes[position]) else { return false }
            position += 1
            return true
        }
        /// Digits without leading zeros, or nil when no digit is here.
        mutating func number() -> Number? {
            let start = position
            while position < end && ASCII.isDigit(bytes[position]) { position += 1 }
            return position == start ? nil : Array(bytes[start..<position].drop { $0 == 0x30 })
        }
        mutating func alphanumerics() -> ArraySlice<UInt8> {
            let start = position
            while position < end && ASCII.isAlphanumeric(bytes[position]) { position += 1 }
            return bytes[start..<position]
        }
        /// `[-_.]? keyword [-_.]? number?`, keywords tried in order (longest spellings first);
        /// the position is unchanged when no keyword matches.
        mutating func segment(keywords: [String]) -> (String, Number)? {
            let mark = position
            _ = takeSeparator()
            for word in keywords where bytes[position..<end].starts(with: word.utf8) {
                position += word.utf8.count
                let afterWord = position
                _ = takeSeparator()
                if let n = number() { return (word, n) }
                position = afterWord
                // `1.0a-` is valid: the separator may be taken without a number.
                _ = takeSeparator()
                return (word, [])
            }
            position = mark
            return nil
        }
    }
}
