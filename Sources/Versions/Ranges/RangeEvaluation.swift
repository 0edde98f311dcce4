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
        try Self.evaluate(versionType, version, affected, scheme: self)
    }

    /// An installed version parsed once, to be evaluated against many affected entries.
    public func prepare(_ version: String) throws(VersionError) -> PreparedVersion {
        try Self.prepare(versionType, version, scheme: self)
    }

    private static func prepare<V: EcosystemVersion>(_ type: V.Type, _ text: String, scheme: VersionScheme) throws(VersionError) -> PreparedVersion {
        let installed = try V(parsing: text)
        return PreparedVersion(text: text) { affected in evaluate(installed: installed, text, affected, scheme: scheme) }
    }

    /// Parses the installed version once per scheme used, then walks the list and the ranges.
    private static func evaluate<V: EcosystemVersion>(
        _ type: V.Type, _ text: String, _ affected: AffectedVersions, scheme: VersionScheme
    ) throws(VersionError) -> RangeEvaluation {
        evaluate(installed: try V(parsing: text), text, affected, scheme: scheme)
    }

    private static func evaluate<V: EcosystemVersion>(
        installed: V, _ text: String, _ affected: AffectedVersions, scheme: VersionScheme
    ) -> RangeEvaluation {
        if affected.versions.contains(text) { return RangeEvaluation(isAffected: true, unevaluated: []) }
        // Listed versions equal to the installed one in another spelling (`1.0` and `1.0.0`): only
        // those with the same leading number are parsed, so long lists cost little.
        let lead = leadingNumber(text)
        if affected.versions.contains(where: { leadingNumber($0) == lead && (try? V(parsing: $0)) == installed }) {
            return RangeEvaluation(isAffected: true, unevaluated: [])
        }
        var unevaluated: [String] = []
        for range in affected.ranges {
            do {
                switch range.kind {
                case .ecosystem, .semver where scheme == .go || scheme == .npm:
                    if try contains(installed, range.events) { return RangeEvaluation(isAffected: true, unevaluated: unevaluated) }
                case .semver:
                    if try contains(try SemanticVersion(parsing: text), range.events) {
                        return RangeEvaluation(isAffected: true, unevaluated: unevaluated)
                    }
                case .git:
                    unevaluated.append("GIT range: commits cannot be compared with package versions")
                case let .other(name):
                    unevaluated.append("unknown range type \(name)")
                }
            } catch {
                unevaluated.append("\(range.kind.osvName) range not evaluated: \(error)")
            }
        }
        return RangeEvaluation(isAffected: false, unevaluated: unevaluated)
    }

    /// The first run of digits, without leading zeros, after an optional `v` and a `0:` epoch.
    private static func leadingNumber(_ text: String) -> Substring {
        var rest = Substring(text)
        if rest.hasPrefix("0:") { rest = rest.dropFirst(2) }
        rest = rest.drop { !$0.isNumber }
        let digits = rest.prefix { $0.isNumber }.drop { $0 == "0" }
        return digits
    }

    private static func contains<V: EcosystemVersion>(_ v: V, _ events: [AffectedRange.Event]) throws(VersionError) -> Bool {
        // nil stands for introduced "0": below every version.
        var parsed: [(version: V?, rank: Int, event: AffectedRange.Event)] = []
        for event in events {
            let rank: Int
            switch event {
            case .introduced: rank = 0
            case .lastAffected: rank = 1
            case .fixed: rank = 2
            case .limit: rank = 3
            }
            if case .introduced("0") = event {
                parsed.append((nil, rank, event))
            } else {
                parsed.append((try V(parsing: event.version), rank, event))
            }
        }
        parsed.sort { a, b in
            switch (a.version, b.version) {
            case (nil, nil): return a.rank < b.rank
            case (nil, _): return true
            case (_, nil): return false
            case let (x?, y?): return x < y || (x == y && a.rank < b.rank)
            }
        }
        let limits = parsed.compactMap { if case .limit = $0.event { $0.version } else { nil } }
        if !limits.isEmpty && !limits.contains(where: { v < $0 }) { return false }
        var inside = false
        for entry in parsed {
            switch entry.event {
            case .introduced:
                if let start = entry.version { if v >= start { inside = true } } else { inside = true }
            case .fixed:
                if let end = entry.version, v >= end { inside = false }
            case .lastAffected:
                if let end = entry.version, v > end { inside = false }
            case .limit:
                break
            }
        }
        return inside
    }
}

/// An installed version, parsed once by its scheme, ready to be evaluated against affected entries.
public struct PreparedVersion {
    public let text: String
    let evaluator: (AffectedVersions) -> RangeEvaluation

    init(text: String, evaluator: @escaping (AffectedVersions) -> RangeEvaluation) {
        self.text = text
        self.evaluator = evaluator
    }

    public func evaluate(against affected: AffectedVersions) -> RangeEvaluation { evaluator(affected) }
}
