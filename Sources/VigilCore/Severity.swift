/// Inspector's severity labels, in increasing order.
public enum Severity: String, CaseIterable, Comparable, Hashable, Sendable, Codable {
    case informational = "INFORMATIONAL"
    case low = "LOW"
    case medium = "MEDIUM"
    case high = "HIGH"
    case critical = "CRITICAL"
    case untriaged = "UNTRIAGED"

    /// Inspector's bands for a CVSS score: 0 informational, 0.1–3.9 low, 4.0–6.9 medium,
    /// 7.0–8.9 high, 9.0–10.0 critical.
    public init(score: Double) {
        switch score {
        case ..<0.1: self = .informational
        case ..<4.0: self = .low
        case ..<7.0: self = .medium
        case ..<9.0: self = .high
        default: self = .critical
        }
    }

    private var rank: Int {
        switch self {
        case .untriaged: 0
        case .informational: 1
        case .low: 2
        case .medium: 3
        case .high: 4
        case .critical: 5
        }
    }

    public static func < (a: Severity, b: Severity) -> Bool { a.rank < b.rank }
}
