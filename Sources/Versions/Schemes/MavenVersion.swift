/// A Maven artifact version, ordered as Maven 3.8's `ComparableVersion`.
///
/// The text is split at `.`, `-` and digit/letter transitions into numbers and qualifiers; `-` and
/// transitions open a nested list. Qualifiers order `alpha` < `beta` < `milestone` < `rc` (`cr`) <
/// `snapshot` < release (`""`, `ga`, `final`, `release`) < `sp` < anything else (alphabetically);
/// `a1`, `b1`, `m1` abbreviate alpha, beta, milestone when a digit follows. Trailing zeros and
/// release qualifiers are dropped, so `1.0.0` equals `1` and `1-ga`.
public struct MavenVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.maven

    public let text: String
    let items: [Item]

    indirect enum Item: Hashable, Sendable {
        /// Digits without leading zeros.
        case number([UInt8])
        /// A qualifier after lowercasing and alias resolution.
        case string(String)
        case list([Item])

        var isNull: Bool {
            switch self {
            case let .number(n): n.isEmpty
            case let .string(s): s.isEmpty
            case let .list(l): l.isEmpty
            }
        }
    }

    private static let qualifiers = ["alpha", "beta", "milestone", "rc", "snapshot", "", "sp"]
    private static let aliases = ["ga": "", "final": "", "release": "", "cr": "rc"]

    public init(parsing text: String) throws(VersionError) {
        if text.isEmpty { throw Self.invalid(text, "version string is empty") }
        let chars = Array(text.lowercased().unicodeScalars)
        // Each `-` or digit/letter transition nests the rest of the version one list deeper; the
        // innermost list is always the last element of its parent, so a stack of flat lists suffices.
        var lists: [[Item]] = [[]]
        var isDigit = false
        var start = 0
        func piece(_ from: Int, _ to: Int) -> String { String(String.UnicodeScalarView(chars[from..<to])) }
        for (i, c) in chars.enumerated() {
            if c == "." || c == "-" {
                lists[lists.count - 1].append(i == start ? .number([]) : Self.item(isDigit: isDigit, piece(start, i)))
                start = i + 1
                if c == "-" { lists.append([]) }
            } else if c.properties.numericType == .decimal {
                if !isDigit && i > start {
                    lists[lists.count - 1].append(Self.qualifier(piece(start, i), followedByDigit: true))
                    start = i
                    lists.append([])
                }
                isDigit = true
            } else {
                if isDigit && i > start {
                    lists[lists.count - 1].append(Self.item(isDigit: true, piece(start, i)))
                    start = i
                    lists.append([])
                }
                isDigit = false
            }
        }
        if chars.count > start {
            // Maven 3.8.7 reads a trailing `.X` like `-X` for a qualifier X (`1.0.a` equals `1-a`).
            if !isDigit && !lists[lists.count - 1].isEmpty { lists.append([]) }
            lists[lists.count - 1].append(Self.item(isDigit: isDigit, piece(start, chars.count)))
        }
        var inner = Self.normalized(lists.removeLast())
        while var parent = lists.popLast() {
            parent.append(.list(inner))
            inner = Self.normalized(parent)
        }
        self.text = text
        self.items = inner
    }

    private static func item(isDigit: Bool, _ buffer: String) -> Item {
        if isDigit {
            // Java's Character.isDigit accepts any Unicode decimal digit; keep their numeric values.
            let digits = buffer.unicodeScalars.map { UInt8(0x30 + ($0.properties.numericValue.map { Int($0) } ?? 0)) }
            return .number(Array(digits.drop { $0 == 0x30 }))
        }
        return qualifier(buffer, followedByDigit: false)
    }

    private static func qualifier(_ value: String, followedByDigit: Bool) -> Item {
        var value = value
        if followedByDigit && value.unicodeScalars.count == 1 {
            switch value {
            case "a": value = "alpha"
            case "b": value = "beta"
            case "m": value = "milestone"
            default: break
            }
        }
        return .string(aliases[value] ?? value)
    }

    /// Drops trailing null items (0, release qualifiers, empty lists), looking past nested lists.
    private static func normalized(_ list: [Item]) -> [Item] {
        var list = list
        var i = list.count - 1
        while i >= 0 {
            if list[i].isNull {
                list.remove(at: i)
            } else if case .list = list[i] {
                // keep looking left of a non-empty nested list
            } else {
                break
            }
            i -= 1
        }
        return list
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(.list(a.items), .list(b.items)) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(.list(a.items), .list(b.items)) < 0 }
    public func hash(into hasher: inout Hasher) { hasher.combine(items) }

    /// `comparableQualifier`: known qualifiers by rank, unknown ones after all of them, alphabetically.
    private static func comparable(_ qualifier: String) -> String {
        if let rank = qualifiers.firstIndex(of: qualifier) { return String(rank) }
        return "\(qualifiers.count)-\(qualifier)"
    }

    /// Java's `String.compareTo`: UTF-16 code unit order.
    private static func javaCompare(_ a: String, _ b: String) -> Int {
        a.utf16.lexicographicallyPrecedes(b.utf16) ? -1 : (a.utf16.elementsEqual(b.utf16) ? 0 : 1)
    }

    /// `Item.compareTo`, where a nil right-hand side stands for "nothing left on that side".
    static func compare(_ a: Item, _ b: Item?) -> Int {
        switch (a, b) {
        case let (.number(x), nil): return x.isEmpty ? 0 : 1
        case let (.number(x), .number(y)?): return ASCII.compareNumerals(x, y)
        case (.number, _?): return 1
        case let (.string(x), nil): return javaCompare(comparable(x), comparable(""))
        case (.string, .number?): return -1
        case let (.string(x), .string(y)?): return javaCompare(comparable(x), comparable(y))
        case (.string, .list?): return -1
        case let (.list(x), nil):
            for item in x {
                let r = compare(item, nil)
                if r != 0 { return r }
            }
            return 0
        case (.list, .number?): return -1
        case (.list, .string?): return 1
        case let (.list(x), .list(y)?):
            for k in 0..<max(x.count, y.count) {
                let r: Int
                if k < x.count {
                    r = compare(x[k], k < y.count ? y[k] : nil)
                } else {
                    r = -compare(y[k], nil)
                }
                if r != 0 { return r }
            }
            return 0
        }
    }
}
