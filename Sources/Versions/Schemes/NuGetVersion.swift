/// A NuGet package version, ordered as NuGet.Versioning's default `VersionComparer`.
///
/// One to four numeric parts (`1.0` = `1.0.0` = `1.0.0.0`, each an Int32, leading zeros allowed), an
/// optional `-`label list and `+`metadata. Labels compare part by part: two Int32-parsable parts
/// numerically, a number below text, text case-insensitively (`OrdinalIgnoreCase`); a version with
/// labels sorts before the same version without; metadata is ignored.
public struct NuGetVersion: EcosystemVersion, Hashable {
    public static let scheme = VersionScheme.nuget

    public let text: String
    /// Major, minor, patch, revision.
    let numbers: [Int32]
    let labels: [String]

    public init(parsing text: String) throws(VersionError) {
        if text.isEmpty { throw Self.invalid(text, "version string is empty") }
        var rest = Substring(text)
        var metadata: Substring?
        if let plus = rest.firstIndex(of: "+") {
            metadata = rest[rest.index(after: plus)...]
            rest = rest[..<plus]
        }
        var labelText: Substring?
        if let hyphen = rest.firstIndex(of: "-") {
            labelText = rest[rest.index(after: hyphen)...]
            rest = rest[..<hyphen]
        }
        let parts = rest.split(separator: ".", omittingEmptySubsequences: false)
        guard (1...4).contains(parts.count) else { throw Self.invalid(text, "expected 1 to 4 numeric parts") }
        var numbers: [Int32] = []
        for part in parts {
            guard !part.isEmpty, part.utf8.allSatisfy(ASCII.isDigit), let n = Int32(part) else {
                throw Self.invalid(text, "'\(part)' is not a number from 0 to 2147483647")
            }
            numbers.append(n)
        }
        while numbers.count < 4 { numbers.append(0) }
        func valid(_ piece: Substring) -> Bool {
            !piece.isEmpty && piece.utf8.allSatisfy { ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }
        }
        var labels: [String] = []
        if let labelText {
            for label in labelText.split(separator: ".", omittingEmptySubsequences: false) {
                guard valid(label) else { throw Self.invalid(text, "release label '\(label)' is empty or has characters other than [0-9A-Za-z-]") }
                labels.append(String(label))
            }
        }
        if let metadata {
            for piece in metadata.split(separator: ".", omittingEmptySubsequences: false) where !valid(piece) {
                throw Self.invalid(text, "metadata '\(piece)' is empty or has characters other than [0-9A-Za-z-]")
            }
        }
        self.text = text
        self.numbers = numbers
        self.labels = labels
    }

    public var description: String { text }

    public static func == (a: Self, b: Self) -> Bool { compare(a, b) == 0 }
    public static func < (a: Self, b: Self) -> Bool { compare(a, b) < 0 }
    public func hash(into hasher: inout Hasher) {
        hasher.combine(numbers)
        hasher.combine(labels.map { $0.uppercased() })
    }

    static func compare(_ a: Self, _ b: Self) -> Int {
        for (x, y) in zip(a.numbers, b.numbers) where x != y { return x < y ? -1 : 1 }
        switch (a.labels.isEmpty, b.labels.isEmpty) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false): break
        }
        for (x, y) in zip(a.labels, b.labels) {
            let r = compareLabel(x, y)
            if r != 0 { return r }
        }
        return Int.sign(a.labels.count, b.labels.count)
    }

    /// NuGet's `CompareRelease`: `int.TryParse` decides what is numeric (so `-1` is a number and
    /// numbers beyond Int32 are text).
    private static func compareLabel(_ x: String, _ y: String) -> Int {
        switch (Int32(x), Int32(y)) {
        case let (p?, q?): return Int.sign(p, q)
        case (_?, nil): return -1
        case (nil, _?): return 1
        case (nil, nil): return ASCII.compareBytes(x.utf8.map(ASCII.uppercased), y.utf8.map(ASCII.uppercased))
        }
    }
}
