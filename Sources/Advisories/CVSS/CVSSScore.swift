import Foundation
import VigilCore

/// A CVSS vector's score (the base score for v2/v3.x; for v4.0 the score of the metrics given) and
/// the Inspector severity band it falls in.
public struct CVSSScore: Hashable, Sendable {
    /// `2.0`, `3.0`, `3.1`, `4.0`.
    public var version: String
    /// The base score, 0.0–10.0 with one decimal.
    public var baseScore: Double
    public var severity: Severity { Severity(score: baseScore) }

    /// Scores a CVSS v2 (`AV:N/AC:L/...`, optionally `(...)`-wrapped or `CVSS:2.0/`-prefixed),
    /// v3.x (`CVSS:3.1/...`) or v4.0 (`CVSS:4.0/...`) vector.
    /// - Throws: `CVSSError` naming the vector and the problem.
    public init(vector: String) throws(CVSSError) {
        let trimmed = vector.trimmingCharacters(in: .whitespaces)
        if trimmed.hasPrefix("CVSS:3.0/") || trimmed.hasPrefix("CVSS:3.1/") {
            self = try CVSS3.score(trimmed)
        } else if trimmed.hasPrefix("CVSS:4.0/") {
            self = try CVSS4.score(trimmed)
        } else {
            self = try CVSS2.score(trimmed)
        }
    }

    init(version: String, baseScore: Double) {
        self.version = version
        self.baseScore = baseScore
    }
}

extension Decimal {
    /// Rounded to one decimal place with `mode` (`.up` is CVSS v3's Roundup for non-negative values,
    /// `.plain` is v2's half-up).
    func rounded(_ mode: NSDecimalNumber.RoundingMode) -> Decimal {
        var value = self
        var result = Decimal()
        NSDecimalRound(&result, &value, 1, mode)
        return result
    }

    var double: Double { NSDecimalNumber(decimal: self).doubleValue }

    /// Exact decimal from a literal written as text (Decimal's float literals go through Double).
    init(exactly text: String) {
        self = Decimal(string: text, locale: Locale(identifier: "en_US_POSIX")) ?? 0
    }
}
