import Findings
import Foundation
import Inventory
import Service
import VigilCore

/// The report formats of `vigil scan`.
enum Reports {
    static func json<T: Encodable>(_ value: T) throws -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(value)
    }

    /// One row per (finding, vulnerable package), most severe first.
    static func table(_ findings: [Finding], color: Bool) -> String {
        var rows: [[String]] = [["SEVERITY", "SCORE", "VULNERABILITY", "PACKAGE", "INSTALLED", "FIXED IN", "PATH"]]
        var severities: [String] = [""]
        for finding in findings {
            for package in finding.packageVulnerabilityDetails?.vulnerablePackages ?? [] {
                let installed = [package.epoch.flatMap { $0 == 0 ? nil : "\($0):" } ?? "", package.version, package.release.map { "-\($0)" } ?? ""].joined()
                rows.append([finding.severity, finding.inspectorScore.map { String(format: "%.1f", $0) } ?? "-",
                             finding.packageVulnerabilityDetails?.vulnerabilityId ?? "-", package.name, installed,
                             package.fixedInVersion ?? "-", package.filePath ?? "-"])
                severities.append(finding.severity)
            }
        }
        guard rows.count > 1 else { return "No vulnerabilities found.\n" }
        let widths = (0..<rows[0].count).map { c in rows.map { $0[c].count }.max() ?? 0 }
        var out = ""
        for (n, row) in rows.enumerated() {
            var line = zip(row, widths).enumerated().map { c, pair in c == row.count - 1 ? pair.0 : pair.0.padding(toLength: pair.1, withPad: " ", startingAt: 0) }
                .joined(separator: "  ")
            if color, n > 0, let code = ["CRITICAL": "1;31", "HIGH": "31", "MEDIUM": "33", "LOW": "36"][severities[n]] {
                line = "\u{1B}[\(code)m" + line + "\u{1B}[0m"
            }
            out += line + "\n"
        }
        let counts = Dictionary(grouping: findings, by: \.severity).mapValues(\.count)
        let summary = Severity.allCases.reversed().compactMap { s in counts[s.rawValue].map { "\($0) \(s.rawValue)" } }.joined(separator: ", ")
        return out + "\n\(findings.count) vulnerabilities: \(summary)\n"
    }

    /// SARIF 2.1.0 as GitHub code scanning reads it: a rule per vulnerability, a result per
    /// vulnerable package located at the file it was found in.
    static func sarif(_ findings: [Finding], target: String) throws -> Data {
        var rules: [[String: Any]] = []
        var results: [[String: Any]] = []
        for finding in findings {
            guard let details = finding.packageVulnerabilityDetails else { continue }
            let id = details.vulnerabilityId
            let level = ["CRITICAL": "error", "HIGH": "error", "MEDIUM": "warning"][finding.severity] ?? "note"
            var rule: [String: Any] = [
                "id": id,
                "name": id.replacingOccurrences(of: "-", with: ""),
                "shortDescription": ["text": finding.title ?? id],
                "fullDescription": ["text": finding.description],
                "help": ["text": finding.remediation.recommendation?.text ?? finding.description],
                "defaultConfiguration": ["level": level],
                "properties": ["tags": ["security", "vulnerability"], "precision": "very-high",
                               "security-severity": String(format: "%.1f", finding.inspectorScore ?? Self.nominalScore(finding.severity))],
            ]
            if let url = details.sourceUrl { rule["helpUri"] = url }
            rules.append(rule)
            for package in details.vulnerablePackages ?? [] {
                var path = package.filePath ?? target
                while path.hasPrefix("/") { path.removeFirst() }
                results.append([
                    "ruleId": id,
                    "ruleIndex": rules.count - 1,
                    "level": level,
                    "message": ["text": "\(package.name) \(package.version) is affected by \(id) (\(finding.severity)); fixed in \(package.fixedInVersion ?? "NotAvailable")."],
                    "locations": [["physicalLocation": ["artifactLocation": ["uri": path.isEmpty ? target : path],
                                                       "region": ["startLine": 1]]]],
                    "partialFingerprints": ["vigil/v1": "\(id)/\(package.name)/\(package.version)/\(path)"],
                ])
            }
        }
        let document: [String: Any] = [
            "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
            "version": "2.1.0",
            "runs": [[
                "tool": ["driver": ["name": "vigil", "informationUri": "https://github.com/vigil/vigil", "version": "0.1.0", "rules": rules]],
                "results": results,
            ]],
        ]
        return try JSONSerialization.data(withJSONObject: document, options: [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes])
    }

    static func nominalScore(_ severity: String) -> Double {
        ["CRITICAL": 9.5, "HIGH": 8.0, "MEDIUM": 5.5, "LOW": 2.0][severity] ?? 0.0
    }

    /// CycloneDX 1.5: the inventory plus a `vulnerabilities` section pointing at its components.
    static func cycloneDX(_ findings: [Finding], inventory: Inventory, target: String) throws -> Data {
        try FindingReports.cycloneDX(findings, inventory: inventory, target: target)
    }
}
