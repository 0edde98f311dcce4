/// The answer to "is this installed version inside these OSV ranges?".
public struct RangeEvaluation: Hashable, Sendable {
    /// True when the version is listed in `versions` or falls inside an evaluable range.
    public var isAffected: Bool
    /// Ranges that could not be evaluated and why (GIT ranges, unknown types, unparsable event
    /// versions). Non-empty with `isAffected == false` means "not shown affected", not "safe".
    public var unevaluated: [String]
}

extension VersionScheme {
    /// Evaluates `version` against an OSV `affected[]` entry with the OSV schema's algorithm.
    ///
    /// `ECOSYSTEM` ranges use this scheme; `SEMVER` ranges use SemVer 2.0 (Go's dialect for Go and
    /// node-semver's for npm). Events are ordered by version (introduced `0` first; at equal versions
    /// `introduced` before `last_affected` before `fixed`), then walked: introduced opens,
    /// fixed closes at the version, last_affected closes after it; `limit` events cap the range.
    /// - Throws: `VersionError.invalid` when `version` itself does not parse.
    public func evaluate(_ version: String, against affected: AffectedVersions) throws(VersionError) -> RangeEvaluation {
        try prepare(version).evaluate(against: prepare(affected))
    }

    /// An installed version parsed once, to be evaluated against many affected entries.
    /// - Throws: `VersionError.invalid` when it does not parse.
    public func prepare(_ version: String) throws(VersionError) -> PreparedVersion {
        // Concrete types at each call, so the evaluation code is specialised per scheme.
        switch self {
        case .dpkg: try PreparedVersion(DpkgVersion.self, version, scheme: self)
        case .rpm: try PreparedVersion(RpmVersion.self, version, scheme: self)
        case .apk: try PreparedVersion(ApkVersion.self, version, scheme: self)
        case .pep440: try PreparedVersion(PEP440Version.self, version, scheme: self)
        case .npm: try PreparedVersion(NpmVersion.self, version, scheme: self)
        case .semver: try PreparedVersion(SemanticVersion.self, version, scheme: self)
        case .go: try PreparedVersion(GoVersion.self, version, scheme: self)
        case .maven: try PreparedVersion(MavenVersion.self, version, scheme: self)
        case .rubygems: try PreparedVersion(RubyGemsVersion.self, version, scheme: self)
        case .nuget: try PreparedVersion(NuGetVersion.self, version, scheme: self)
        case .packagist: try PreparedVersion(ComposerVersion.self, version, scheme: self)
        }
    }

    /// An affected entry's versions and ranges parsed and ordered once, to be evaluated against
    /// many installed versions. Never fails: what cannot be parsed is kept as a reason.
    /// - Parameter parseListed: also parse the `versions` list (worth it when the entry will be
    ///   evaluated many times, as in a long-lived index; otherwise only listed versions with the
    ///   installed version's leading number are parsed, at each evaluation).
    public func prepare(_ affected: AffectedVersions, parseListed: Bool = false) -> PreparedRanges {
        switch self {
        case .dpkg: PreparedRanges(ParsedRanges<DpkgVersion>(affected, scheme: self, parseListed: parseListed))
        case .rpm: PreparedRanges(ParsedRanges<RpmVersion>(affected, scheme: self, parseListed: parseListed))
        case .apk: PreparedRanges(ParsedRanges<ApkVersion>(affected, scheme: self, parseListed: parseListed))
        case .pep440: PreparedRanges(ParsedRanges<PEP440Version>(affected, scheme: self, parseListed: parseListed))
        case .npm: PreparedRanges(ParsedRanges<NpmVersion>(affected, scheme: self, parseListed: parseListed))
        case .semver: PreparedRanges(ParsedRanges<SemanticVersion>(affected, scheme: self, parseListed: parseListed))
        case .go: PreparedRanges(ParsedRanges<GoVersion>(affected, scheme: self, parseListed: parseListed))
        case .maven: PreparedRanges(ParsedRanges<MavenVersion>(affected, scheme: self, parseListed: parseListed))
        case .rubygems: PreparedRanges(ParsedRanges<RubyGemsVersion>(affected, scheme: self, parseListed: parseListed))
        case .nuget: PreparedRanges(ParsedRanges<NuGetVersion>(affected, scheme: self, parseListed: parseListed))
        case .packagist: PreparedRanges(ParsedRanges<ComposerVersion>(affected, scheme: self, parseListed: parseListed))
        }
    }
}

/// An installed version, parsed once by its scheme, ready to be evaluated against affected entries.
public struct PreparedVersion: Sendable {
    public let text: String
    private let evaluator: @Sendable (PreparedRanges) -> RangeEvaluation
    private let fixer: @Sendable (PreparedRanges) -> String?

    /// - Parameter scheme: the scheme whose type `V` is (each scheme has exactly one).
    init<V: EcosystemVersion>(_ type: V.Type, _ text: String, scheme: VersionScheme) throws(VersionError) {
        let installed = try V(parsing: text)
        // SEMVER ranges outside Go and npm compare the text as SemVer 2.0.
        let semantic = Result<SemanticVersion, VersionError> { () throws(VersionError) in try SemanticVersion(parsing: text) }
        self.text = text
        // Ranges prepared by the same scheme hold a ParsedRanges<V>: a checked scheme, then no dynamic cast.
        evaluator = { ranges in
            guard ranges.scheme == scheme else {
                return RangeEvaluation(isAffected: false, unevaluated: ["ranges prepared for \(ranges.scheme.displayName), not \(scheme.displayName)"])
            }
            return unsafeDowncast(ranges.parsed, to: ParsedRanges<V>.self).evaluate(installed, text: text, semantic: semantic)
        }
        fixer = { ranges in
            guard ranges.scheme == scheme else { return nil }
            return unsafeDowncast(ranges.parsed, to: ParsedRanges<V>.self).lowestFixed(above: installed)
        }
    }

    /// Is this version inside the entry's listed versions or ranges?
    public func evaluate(against ranges: PreparedRanges) -> RangeEvaluation { evaluator(ranges) }

    /// Shorthand that prepares `affected` for this one evaluation.
    public func evaluate(against affected: AffectedVersions, scheme: VersionScheme) -> RangeEvaluation {
        evaluate(against: scheme.prepare(affected))
    }

    /// The lowest `fixed` event above this version in the entry's comparable ranges (ECOSYSTEM and
    /// SEMVER, compared in this scheme), or nil.
    public func lowestFixed(in ranges: PreparedRanges) -> String? { fixer(ranges) }
}

/// An affected entry prepared by `VersionScheme.prepare(_:)`.
public struct PreparedRanges: @unchecked Sendable {
    public let affected: AffectedVersions
    public let scheme: VersionScheme
    /// A `ParsedRanges<V>` for the scheme's type (immutable once made).
    fileprivate let parsed: AnyObject

    fileprivate init<V>(_ parsed: ParsedRanges<V>) {
        self.parsed = parsed
        affected = parsed.affected
        scheme = parsed.scheme
    }
}

/// The parsed form: listed versions sorted for binary search, each range's events ordered for the
/// walk, and the fixed versions ordered for "lowest fix above".
private final class ParsedRanges<V: EcosystemVersion> {
    struct Step<W: EcosystemVersion>: Sendable {
        /// nil stands for introduced "0": below every version.
        var version: W?
        var event: AffectedRange.Event
        /// At equal versions: introduced, last_affected, fixed, limit.
        var rank: Int
    }

    struct Walk<W: EcosystemVersion>: Sendable {
        var steps: [Step<W>]
        var limits: [W]

        init(_ events: [AffectedRange.Event], as type: W.Type) throws(VersionError) {
            var steps: [Step<W>] = []
            for event in events {
                let rank: Int
                switch event {
                case .introduced: rank = 0
                case .lastAffected: rank = 1
                case .fixed: rank = 2
                case .limit: rank = 3
                }
                if case .introduced("0") = event {
                    steps.append(Step(version: nil, event: event, rank: rank))
                } else {
                    steps.append(Step(version: try W(parsing: event.version), event: event, rank: rank))
                }
            }
            steps.sort { a, b in
                switch (a.version, b.version) {
                case (nil, nil): return a.rank < b.rank
                case (nil, _): return true
                case (_, nil): return false
                case let (x?, y?): return x < y || (x == y && a.rank < b.rank)
                }
            }
            self.steps = steps
            limits = steps.compactMap { if case .limit = $0.event { $0.version } else { nil } }
        }

        func contains(_ v: W) -> Bool {
            if !limits.isEmpty && !limits.contains(where: { v < $0 }) { return false }
            var inside = false
            for step in steps {
                switch step.event {
                case .introduced:
                    if let start = step.version { if v >= start { inside = true } } else { inside = true }
                case .fixed:
                    if let end = step.version, v >= end { inside = false }
                case .lastAffected:
                    if let end = step.version, v > end { inside = false }
                case .limit:
                    break
                }
            }
            return inside
        }
    }

    enum Range: Sendable {
        case native(Walk<V>)
        case semantic(Walk<SemanticVersion>)
        case unevaluated(String)
    }

    let affected: AffectedVersions
    let scheme: VersionScheme
    /// The listed texts, hashed when parsed up front.
    let listedText: Set<String>?
    /// Listed versions that parse, sorted, when parsed up front: equal in another spelling (`1.0`
    /// and `1.0.0`) counts.
    let listed: [V]?
    let ranges: [Range]
    /// Fixed versions of ECOSYSTEM and SEMVER ranges, ascending (stable: the first listed wins a tie).
    let fixed: [(version: V, text: String)]

    init(_ affected: AffectedVersions, scheme: VersionScheme, parseListed: Bool) {
        self.affected = affected
        self.scheme = scheme
        listedText = parseListed ? Set(affected.versions) : nil
        listed = parseListed ? affected.versions.compactMap { try? V(parsing: $0) }.sorted() : nil
        let nativeSemver = scheme == .go || scheme == .npm
        ranges = affected.ranges.map { range in
            do throws(VersionError) {
                switch range.kind {
                case .ecosystem: return .native(try Walk(range.events, as: V.self))
                case .semver where nativeSemver: return .native(try Walk(range.events, as: V.self))
                case .semver: return .semantic(try Walk(range.events, as: SemanticVersion.self))
                case .git: return .unevaluated("GIT range: commits cannot be compared with package versions")
                case let .other(name): return .unevaluated("unknown range type \(name)")
                }
            } catch {
                return .unevaluated("\(range.kind.osvName) range not evaluated: \(error)")
            }
        }
        var fixed: [(version: V, text: String)] = []
        for (range, parsed) in zip(affected.ranges, ranges) where range.kind == .ecosystem || range.kind == .semver {
            if case let .native(walk) = parsed {
                for step in walk.steps { if case let .fixed(text) = step.event, let version = step.version { fixed.append((version, text)) } }
                continue
            }
            for case let .fixed(text) in range.events {
                if let version = try? V(parsing: text) { fixed.append((version, text)) }
            }
        }
        // Insertion order kept among equals.
        self.fixed = fixed.enumerated().sorted { a, b in
            a.element.version < b.element.version || (a.element.version == b.element.version && a.offset < b.offset)
        }.map(\.element)
    }

    func evaluate(_ installed: V, text: String, semantic: Result<SemanticVersion, VersionError>) -> RangeEvaluation {
        if listedText?.contains(text) ?? affected.versions.contains(text) || isListed(installed, text: text) { return RangeEvaluation(isAffected: true, unevaluated: []) }
        var unevaluated: [String] = []
        for range in ranges {
            switch range {
            case let .native(walk):
                if walk.contains(installed) { return RangeEvaluation(isAffected: true, unevaluated: unevaluated) }
            case let .semantic(walk):
                switch semantic {
                case let .success(version):
                    if walk.contains(version) { return RangeEvaluation(isAffected: true, unevaluated: unevaluated) }
                case let .failure(error):
                    unevaluated.append("SEMVER range not evaluated: \(error)")
                }
            case let .unevaluated(reason):
                unevaluated.append(reason)
            }
        }
        return RangeEvaluation(isAffected: false, unevaluated: unevaluated)
    }

    /// A listed version equal to `v`: a binary search when the list was parsed up front, else
    /// only listed versions with the same leading number are parsed, so long lists cost little.
    private func isListed(_ v: V, text: String) -> Bool {
        guard let listed else {
            let lead = Self.leadingNumber(text)
            return affected.versions.contains { Self.leadingNumber($0) == lead && (try? V(parsing: $0)) == v }
        }
        var low = 0, high = listed.count
        while low < high {
            let mid = (low + high) / 2
            if listed[mid] < v { low = mid + 1 } else { high = mid }
        }
        return low < listed.count && !(v < listed[low])
    }

    /// The first run of digits, without leading zeros, after an optional `v` and a `0:` epoch.
    private static func leadingNumber(_ text: String) -> Substring {
        var rest = Substring(text)
        if rest.hasPrefix("0:") { rest = rest.dropFirst(2) }
        rest = rest.drop { !$0.isNumber }
        return rest.prefix { $0.isNumber }.drop { $0 == "0" }
    }

    func lowestFixed(above v: V) -> String? {
        var low = 0, high = fixed.count
        while low < high {
            let mid = (low + high) / 2
            if fixed[mid].version <= v { low = mid + 1 } else { high = mid }
        }
        return low < fixed.count ? fixed[low].text : nil
    }
}
