import Foundation

/// CVSS v2 base scores (the v2 guide's equations, decimal arithmetic, half-up rounding).
enum CVSS2 {
    private static let weights: [String: [String: String]] = [
        "AV": ["L": "0.395", "A": "0.646", "N": "1.0"],
        "AC": ["H": "0.35", "M": "0.61", "L": "0.71"],
        "Au": ["M": "0.45", "S": "0.56", "N": "0.704"],
        "C": ["N": "0.0", "P": "0.275", "C": "0.660"],
        "I": ["N": "0.0", "P": "0.275", "C": "0.660"],
        "A": ["N": "0.0", "P": "0.275", "C": "0.660"],
    ]

    private static let allowed: [String: Set<String>] = [
        "AV": ["L", "A", "N"], "AC": ["H", "M", "L"], "Au": ["M", "S", "N"],
        "C": ["N", "P", "C"], "I": ["N", "P", "C"], "A": ["N", "P", "C"],
        "E": ["U", "POC", "F", "H", "ND"], "RL": ["OF", "TF", "W", "U", "ND"], "RC": ["UC", "UR", "C", "ND"],
        "CDP": ["N", "L", "LM", "MH", "H", "ND"], "TD": ["N", "L", "M", "H", "ND"],
        "CR": ["L", "M", "H", "ND"], "IR": ["L", "M", "H", "ND"], "AR": ["L", "M", "H", "ND"],
    ]

    static func score(_ vector: String) throws(CVSSError) -> CVSSScore {
        var body = Substring(vector)
        if body.hasPrefix("("), body.hasSuffix(")") { body = body.dropFirst().dropLast() }
        if body.hasPrefix("CVSS:2.0/") { body = body.dropFirst(9) }
        guard body.hasPrefix("AV:") else {
            throw CVSSError(vector: vector, reason: "not a CVSS v2 (AV:...) or v3.x (CVSS:3.x/...) vector")
        }
        let m = try parseMetrics(vector, body: body, allowed: allowed, required: ["AV", "AC", "Au", "C", "I", "A"])
        func w(_ key: String) -> Decimal { Decimal(exactly: weights[key]?[m[key] ?? ""] ?? "0") }
        let one = Decimal(1)
        let impact = Decimal(exactly: "10.41") * (one - (one - w("C")) * (one - w("I")) * (one - w("A")))
        let exploitability = Decimal(20) * w("AV") * w("AC") * w("Au")
        let f: Decimal = impact == 0 ? 0 : Decimal(exactly: "1.176")
        let raw = (Decimal(exactly: "0.6") * impact + Decimal(exactly: "0.4") * exploitability - Decimal(exactly: "1.5")) * f
        return CVSSScore(version: "2.0", baseScore: max(0, raw.rounded(.plain).double))
    }
}
