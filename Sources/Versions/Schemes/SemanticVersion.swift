/// The rules of one SemVer dialect: which scheme it is and how strictly it parses.
public protocol SemanticDialect: Sendable {
    static var scheme: VersionScheme { get }
    static var rules: SemanticCore.Rules { get }
}

/// A version under one SemVer dialect; use the aliases `SemanticVersion`, `NpmVersion`, `GoVersion`.
public struct DialectVersion<Dialect: SemanticDialect>: EcosystemVersion, Hashable {
    public static var scheme: VersionScheme { Dialect.scheme }

    public let text: String
    let core: SemanticCore

    public init(parsing text: String) throws(VersionError) {
        self.text = text
        self.core = try SemanticCore(text, rules: Dialect.rules, scheme: Dialect.scheme)
    }

    public var description: String { text }
    public static func == (a: Self, b: Self) -> Bool { a.core.compare(b.core) == 0 }
    public static func < (a: Self, b: Self) -> Bool { a.core.compare(b.core) < 0 }
    public func hash(into hasher: inout Hasher) { hasher.combine(core.main) }
}

/// Semantic Versioning 2.0.0 (crates.io, Hex, Pub, and OSV `SEMVER` ranges).
///
/// Strict: `MAJOR.MINOR.PATCH[-PRERELEASE][+BUILD]`, no leading zeros in numeric identifiers; numbers
/// of any length compare exactly; build metadata is ignored for ordering.
public enum SemVer2: SemanticDialect {
    public static let scheme = VersionScheme.semver
    public static let rules = SemanticCore.Rules.semver
}

/// node-semver's `compare` (non-loose mode): trims whitespace, accepts a `v` prefix, rejects numbers
/// above 2^53-1 in the main version and compares numeric pre-release identifiers as JavaScript numbers.
public enum NodeSemver: SemanticDialect {
    public static let scheme = VersionScheme.npm
    public static let rules = SemanticCore.Rules.npm
}

/// `golang.org/x/mod/semver.Compare`: the `v` prefix is optional (OSV records omit it); `vMAJOR` and
/// `vMAJOR.MINOR` abbreviate `.0`; `+incompatible` is build metadata and ignored; pseudo-versions
/// (`v0.0.0-20210101000000-abcdef123456`) are pre-releases and order by their timestamp.
public enum GoModules: SemanticDialect {
    public static let scheme = VersionScheme.go
    public static let rules = SemanticCore.Rules.go
}

public typealias SemanticVersion = DialectVersion<SemVer2>
public typealias NpmVersion = DialectVersion<NodeSemver>
public typealias GoVersion = DialectVersion<GoModules>

/// The parsed parts shared by the SemVer dialects.
public struct SemanticCore: Hashable, Sendable {
    /// How strictly a dialect parses and how it compares numeric pre-release identifiers.
    public enum Rules: Sendable { case semver, npm, go }

    enum Identifier: Hashable, Sendable {
        /// Digits without leading zeros.
        case number([UInt8])
        case text(String)
    }

    /// Major, minor, patch as digits without leading zeros.
    let main: [[UInt8]]
    let prerelease: [Identifier]
    let rules: Rules

    /// 2^53 - 1, JavaScript's `Number.MAX_SAFE_INTEGER`, which node-semver enforces.
    private static let maxSafeInteger: [UInt8] = Array("9007199254740991".utf8)

    init(_ text: String, rules: Rules, scheme: VersionScheme) throws(VersionError) {
        func fail(_ reason: String) -> VersionError { .invalid(version: text, scheme: scheme, reason: reason) }
        var bytes = Array(text.utf8)[...]
        switch rules {
        case .npm:
            // node-semver (non-loose): trim, then an optional `v`; `=` is allowed only in loose mode.
            bytes = bytes.drop(while: ASCII.isSpace)
            while let last = bytes.last, ASCII.isSpace(last) { bytes = bytes.dropLast() }
            if bytes.count > 256 { throw fail("longer than 256 characters") }
            if bytes.first == UInt8(ascii: "v") { bytes = bytes.dropFirst() }
        case .go:
            if bytes.first == UInt8(ascii: "v") { bytes = bytes.dropFirst() }
        case .semver:
            break
        }
        if bytes.isEmpty { throw fail("version string is empty") }
        var body = bytes
        var build: ArraySlice<UInt8>?
        if let plus = body.firstIndex(of: UInt8(ascii: "+")) {
            build = body[(plus + 1)...]
            body = body[..<plus]
        }
        var pre: ArraySlice<UInt8>?
        if let hyphen = body.firstIndex(of: UInt8(ascii: "-")) {
            pre = body[(hyphen + 1)...]
            body = body[..<hyphen]
        }
        let parts = body.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        var main: [[UInt8]] = []
        for part in parts {
            guard !part.isEmpty, part.allSatisfy(ASCII.isDigit) else {
                throw fail("'\(String(decoding: part, as: UTF8.self))' is not a number in MAJOR.MINOR.PATCH")
            }
            if part.count > 1 && part.first == UInt8(ascii: "0") { throw fail("numeric part '\(String(decoding: part, as: UTF8.self))' has a leading zero") }
            if rules == .npm && ASCII.compareNumerals(part, Self.maxSafeInteger) > 0 { throw fail("number larger than 2^53-1") }
            main.append(Array(part.drop { $0 == 0x30 }))
        }
        if rules == .go && parts.count < 3 && (pre != nil || build != nil) {
            throw fail("an abbreviated version cannot have a pre-release or build suffix")
        }
        guard parts.count == 3 || (rules == .go && parts.count >= 1 && parts.count < 3) else {
            throw fail("expected MAJOR.MINOR.PATCH")
        }
        while main.count < 3 { main.append([]) }
        var identifiers: [Identifier] = []
        if let pre {
            for id in pre.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                guard !id.isEmpty, id.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
                    throw fail("pre-release identifier '\(String(decoding: id, as: UTF8.self))' is empty or has characters other than [0-9A-Za-z-]")
                }
                if id.allSatisfy(ASCII.isDigit) {
                    if id.count > 1 && id.first == UInt8(ascii: "0") { throw fail("numeric pre-release identifier '\(String(decoding: id, as: UTF8.self))' has a leading zero") }
                    identifiers.append(.number(Array(id.drop { $0 == 0x30 })))
                } else {
                    identifiers.append(.text(String(decoding: id, as: UTF8.self)))
                }
            }
        }
        if let build {
            for id in build.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false) {
                guard !id.isEmpty, id.allSatisfy({ ASCII.isAlphanumeric($0) || $0 == UInt8(ascii: "-") }) else {
                    throw fail("build identifier '\(String(decoding: id, as: UTF8.self))' is empty or has characters other than [0-9A-Za-z-]")
                }
            }
        }
        self.main = main
        self.prerelease = identifiers
        self.rules = rules
    }

    /// SemVer precedence: main version, then a release above its pre-releases, then identifiers
    /// left to right (numbers below text, shorter list first when one is a prefix of the other).
    func compare(_ other: SemanticCore) -> Int {
        for k in 0..<3 {
            let r = ASCII.compareNumerals(main[k], other.main[k])
            if r != 0 { return r }
        }
        switch (prerelease.isEmpty, other.prerelease.isEmpty) {
        case (true, true): return 0
        case (true, false): return 1
        case (false, true): return -1
        case (false, false): break
        }
        for (x, y) in zip(prerelease, other.prerelease) {
            let r = compareIdentifiers(x, y)
            if r != 0 { return r }
        }
        return Int.sign(prerelease.count, other.prerelease.count)
    }

    private func compareIdentifiers(_ x: Identifier, _ y: Identifier) -> Int {
        switch (x, y) {
        case let (.number(a), .number(b)):
            if rules == .npm {
                // node-semver compares numeric identifiers as JavaScript numbers (IEEE doubles).
                let da = Double(String(decoding: a.isEmpty ? [0x30] : a, as: UTF8.self)) ?? .infinity
                let db = Double(String(decoding: b.isEmpty ? [0x30] : b, as: UTF8.self)) ?? .infinity
                return Int.sign(da, db)
            }
            return ASCII.compareNumerals(a, b)
        case (.number, .text): return -1
        case (.text, .number): return 1
        case let (.text(a), .text(b)): return ASCII.compareBytes(a.utf8, b.utf8)
        }
    }
}
