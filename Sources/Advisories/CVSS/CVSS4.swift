import Foundation

/// CVSS v4.0 scores, by the specification's macrovector method: the vector's equivalence classes
/// (EQ1–EQ6) select a macrovector whose score comes from FIRST's table, then the score is lowered by
/// the vector's mean proportional distance from the highest-severity vector of its macrovector.
/// Threat and environmental metrics are used when present (CVSS-B, -BT, -BE or -BTE).
enum CVSS4 {
    private static let allowed: [String: Set<String>] = [
        "AV": ["N", "A", "L", "P"], "AC": ["L", "H"], "AT": ["N", "P"], "PR": ["N", "L", "H"], "UI": ["N", "P", "A"],
        "VC": ["H", "L", "N"], "VI": ["H", "L", "N"], "VA": ["H", "L", "N"],
        "SC": ["H", "L", "N"], "SI": ["H", "L", "N"], "SA": ["H", "L", "N"],
        "E": ["X", "A", "P", "U"],
        "CR": ["X", "H", "M", "L"], "IR": ["X", "H", "M", "L"], "AR": ["X", "H", "M", "L"],
        "MAV": ["X", "N", "A", "L", "P"], "MAC": ["X", "L", "H"], "MAT": ["X", "N", "P"], "MPR": ["X", "N", "L", "H"],
        "MUI": ["X", "N", "P", "A"], "MVC": ["X", "H", "L", "N"], "MVI": ["X", "H", "L", "N"], "MVA": ["X", "H", "L", "N"],
        "MSC": ["X", "H", "L", "N"], "MSI": ["X", "S", "H", "L", "N"], "MSA": ["X", "S", "H", "L", "N"],
        "S": ["X", "N", "P"], "AU": ["X", "N", "Y"], "R": ["X", "A", "U", "I"], "V": ["X", "D", "C"],
        "RE": ["X", "L", "M", "H"], "U": ["X", "Clear", "Green", "Amber", "Red"],
    ]

    /// Severity levels per metric, in 0.1 steps from the most severe value.
    private static let levels: [String: [String: Double]] = [
        "AV": ["N": 0.0, "A": 0.1, "L": 0.2, "P": 0.3], "PR": ["N": 0.0, "L": 0.1, "H": 0.2], "UI": ["N": 0.0, "P": 0.1, "A": 0.2],
        "AC": ["L": 0.0, "H": 0.1], "AT": ["N": 0.0, "P": 0.1],
        "VC": ["H": 0.0, "L": 0.1, "N": 0.2], "VI": ["H": 0.0, "L": 0.1, "N": 0.2], "VA": ["H": 0.0, "L": 0.1, "N": 0.2],
        "SC": ["H": 0.1, "L": 0.2, "N": 0.3], "SI": ["S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3], "SA": ["S": 0.0, "H": 0.1, "L": 0.2, "N": 0.3],
        "CR": ["H": 0.0, "M": 0.1, "L": 0.2], "IR": ["H": 0.0, "M": 0.1, "L": 0.2], "AR": ["H": 0.0, "M": 0.1, "L": 0.2],
    ]

    static func score(_ vector: String) throws(CVSSError) -> CVSSScore {
        let metrics = try parseMetrics(vector, body: vector.dropFirst(9), allowed: allowed,
                                       required: ["AV", "AC", "AT", "PR", "UI", "VC", "VI", "VA", "SC", "SI", "SA"])
        return CVSSScore(version: "4.0", baseScore: score(metrics))
    }

    /// The effective value of a metric: threat and requirement defaults are the worst case, modified
    /// environmental metrics replace base ones.
    private static func m(_ metrics: [String: String], _ metric: String) -> String {
        let selected = metrics[metric] ?? "X"
        if metric == "E" && selected == "X" { return "A" }
        if ["CR", "IR", "AR"].contains(metric) && selected == "X" { return "H" }
        if let modified = metrics["M" + metric], modified != "X" { return modified }
        return selected
    }

    static func score(_ metrics: [String: String]) -> Double {
        func v(_ metric: String) -> String { m(metrics, metric) }
        if ["VC", "VI", "VA", "SC", "SI", "SA"].allSatisfy({ v($0) == "N" }) { return 0 }

        let (av, pr, ui) = (v("AV"), v("PR"), v("UI"))
        let eq1 = av == "N" && pr == "N" && ui == "N" ? 0
            : (av == "N" || pr == "N" || ui == "N") && av != "P" ? 1 : 2
        let eq2 = v("AC") == "L" && v("AT") == "N" ? 0 : 1
        let (vc, vi, va) = (v("VC"), v("VI"), v("VA"))
        let eq3 = vc == "H" && vi == "H" ? 0 : (vc == "H" || vi == "H" || va == "H") ? 1 : 2
        let eq4 = v("MSI") == "S" || v("MSA") == "S" ? 0 : (v("SC") == "H" || v("SI") == "H" || v("SA") == "H") ? 1 : 2
        let eq5 = ["A": 0, "P": 1, "U": 2][v("E")] ?? 0
        let eq6 = (v("CR") == "H" && vc == "H") || (v("IR") == "H" && vi == "H") || (v("AR") == "H" && va == "H") ? 0 : 1

        func lookup(_ e: [Int]) -> Double { CVSS4Tables.lookup[e.map(String.init).joined()] ?? .nan }
        let value = lookup([eq1, eq2, eq3, eq4, eq5, eq6])
        let lowerEQ1 = lookup([eq1 + 1, eq2, eq3, eq4, eq5, eq6])
        let lowerEQ2 = lookup([eq1, eq2 + 1, eq3, eq4, eq5, eq6])
        let lowerEQ3EQ6: Double
        switch (eq3, eq6) {
        case (1, 1), (0, 1): lowerEQ3EQ6 = lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6])
        case (1, 0): lowerEQ3EQ6 = lookup([eq1, eq2, eq3, eq4, eq5, eq6 + 1])
        case (0, 0):
            // Two paths down; the higher-scoring one (Python's max: NaN on the left wins).
            let left = lookup([eq1, eq2, eq3, eq4, eq5, eq6 + 1])
            let right = lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6])
            lowerEQ3EQ6 = right > left ? right : left
        default: lowerEQ3EQ6 = lookup([eq1, eq2, eq3 + 1, eq4, eq5, eq6 + 1])
        }
        let lowerEQ4 = lookup([eq1, eq2, eq3, eq4 + 1, eq5, eq6])
        let lowerEQ5 = lookup([eq1, eq2, eq3, eq4, eq5 + 1, eq6])

        // The first highest-severity vector of this macrovector that the vector does not exceed.
        var distance: [String: Double] = [:]
        for a in CVSS4Tables.eq1[eq1] {
            for b in CVSS4Tables.eq2[eq2] {
                for c in CVSS4Tables.eq3eq6[eq3]?[eq6] ?? [] {
                    for d in CVSS4Tables.eq4[eq4] {
                        for e in CVSS4Tables.eq5[eq5] {
                            let maxima = parsed(a + b + c + d + e)
                            for metric in ["AV", "PR", "UI", "AC", "AT", "VC", "VI", "VA", "SC", "SI", "SA", "CR", "IR", "AR"] {
                                distance[metric] = (levels[metric]?[v(metric)] ?? 0) - (levels[metric]?[maxima[metric] ?? ""] ?? 0)
                            }
                            if distance.values.allSatisfy({ $0 >= 0 }) { return finish() }
                        }
                    }
                }
            }
        }
        return finish()

        func finish() -> Double {
            func d(_ k: String) -> Double { distance[k] ?? 0 }
            let current: [(Double, Double, Double)] = [
                (d("AV") + d("PR") + d("UI"), value - lowerEQ1, CVSS4Tables.eq1Depth[eq1] * 0.1),
                (d("AC") + d("AT"), value - lowerEQ2, CVSS4Tables.eq2Depth[eq2] * 0.1),
                (d("VC") + d("VI") + d("VA") + d("CR") + d("IR") + d("AR"), value - lowerEQ3EQ6,
                 (CVSS4Tables.eq3eq6Depth[eq3]?[eq6] ?? 1) * 0.1),
                (d("SC") + d("SI") + d("SA"), value - lowerEQ4, CVSS4Tables.eq4Depth[eq4] * 0.1),
            ]
            var existing = 0
            var total = 0.0
            for (severityDistance, available, depth) in current where available >= 0 {
                existing += 1
                total += available * (severityDistance / depth)
            }
            // EQ5 counts as an existing lower macrovector but contributes no distance.
            if value - lowerEQ5 >= 0 { existing += 1 }
            let mean = existing == 0 ? 0 : total / Double(existing)
            let result = min(10, max(0, value - mean))
            return roundHalfUp(result)
        }
    }

    /// Python's `Decimal(x + 1e-6).quantize(Decimal("0.1"), ROUND_HALF_UP)`, as the reference does.
    private static func roundHalfUp(_ x: Double) -> Double {
        var value = Decimal(x + 1e-6)
        var result = Decimal()
        NSDecimalRound(&result, &value, 1, .plain)
        return NSDecimalNumber(decimal: result).doubleValue
    }

    private static func parsed(_ composed: String) -> [String: String] {
        var out: [String: String] = [:]
        for part in composed.split(separator: "/") {
            let pair = part.split(separator: ":", maxSplits: 1)
            if pair.count == 2 { out[String(pair[0])] = String(pair[1]) }
        }
        return out
    }
}
