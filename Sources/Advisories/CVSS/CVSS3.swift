import Foundation

/// CVSS v3.0 and v3.1 base scores, computed in decimal arithmetic as the specification's reference
/// implementations do (so Roundup never suffers binary floating-point error).
enum CVSS3 {
    private static let weights: [String: [String: String]] = [
        "AV": ["N": "0.85", "A": "0.62", "L": "0.55", "P": "0.2"],
        "AC": ["L": "0.77", "H": "0.44"],
        "UI": ["N": "0.85", "R": "0.62"],
        "C": ["H": "0.56", "L": "0.22", "N": "0"],
        "I": ["H": "0.56", "L": "0.22", "N": "0"],
        "A": ["H": "0.56", "L": "0.22", "N": "0"],
    ]

    /// Every metric the specification defines, so full vectors (temporal, environmental) parse.
    private static let allowed: [String: Set<String>] = [
        "AV": ["N", "A", "L", "P"], "AC": ["L", "H"], "PR": ["N", "L", "H"], "UI": ["N", "R"], "S": ["U", "C"],
        "C": ["H", "L", "N"], "I": ["H", "L", "N"], "A": ["H", "L", "N"],
        "E": ["X", "H", "F", "P", "U"], "RL": ["X", "U", "W", "T", "O"], "RC": ["X", "C", "R", "U"],
        "CR": ["X", "H", "M", "L"], "IR": ["X", "H", "M", "L"], "AR": ["X", "H", "M", "L"],
        "MAV": ["X", "N", "A", "L", "P"], "MAC": ["X", "L", "H"], "MPR": ["X", "N", "L", "H"], "MUI": ["X", "N", "R"],
        "MS": ["X", "U", "C"], "MC": ["X", "H", "L", "N"], "MI": ["X", "H", "L", "N"], "MA": ["X", "H", "L", "N"],
    ]

    static func score(_ vector: String) throws(CVSSError) -> CVSSScore {
        let version = String(vector.dropFirst(5).prefix(3))
        let m = try parseMetrics(vector, body: vector.dropFirst(9), allowed: allowed,
                                 required: ["AV", "AC", "PR", "UI", "S", "C", "I", "A"])
        func w(_ key: String) -> Decimal { Decimal(exactly: weights[key]?[m[key] ?? ""] ?? "0") }
        let changed = m["S"] == "C"
        let pr: Decimal = switch m["PR"] {
        case "N": Decimal(exactly: "0.85")
        case "L": Decimal(exactly: changed ? "0.68" : "0.62")
        default: Decimal(exactly: changed ? "0.5" : "0.27")
        }
        let one = Decimal(1)
        let iss = one - (one - w("C")) * (one - w("I")) * (one - w("A"))
        let impact: Decimal
        if changed {
            let x = iss - Decimal(exactly: "0.02")
            var x15 = one
            for _ in 0..<15 { x15 *= x }
            impact = Decimal(exactly: "7.52") * (iss - Decimal(exactly: "0.029")) - Decimal(exactly: "3.25") * x15
        } else {
            impact = Decimal(exactly: "6.42") * iss
        }
        let exploitability = Decimal(exactly: "8.22") * w("AV") * w("AC") * pr * w("UI")
        guard impact > 0 else { return CVSSScore(version: version, baseScore: 0) }
        let sum = changed ? Decimal(exactly: "1.08") * (impact + exploitability) : impact + exploitability
        return CVSSScore(version: version, baseScore: min(sum, 10).rounded(.up).double)
    }
}
