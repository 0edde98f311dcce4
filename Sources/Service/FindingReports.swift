import Findings
import Foundation
import Inventory
import VigilCore

/// Findings written as reports other tools read.
public enum FindingReports {
    /// A CycloneDX 1.5 BOM of the inventory with the findings as its `vulnerabilities` (`vigil scan
    /// --format cyclonedx`, ScanSbom).
    public static func cycloneDX(_ findings: [Finding], inventory: Inventory, target: String) throws -> Data {
        var vulnerabilities: [CycloneDX.Vulnerability] = []
        for finding in findings {
            guard let details = finding.packageVulnerabilityDetails else { continue }
            let affects = (details.vulnerablePackages ?? []).compactMap { vulnerable in
                inventory.packages.firstIndex { $0.name == vulnerable.name && $0.path == vulnerable.filePath }
            }
            var ratings = (details.cvss ?? []).map { cvss in
                CycloneDX.Vulnerability.Rating(score: cvss.baseScore, severity: Severity(score: cvss.baseScore).cycloneDX,
                                               method: ["3.1": "CVSSv31", "3.0": "CVSSv3", "4.0": "CVSSv4", "2.0": "CVSSv2"][cvss.version], vector: cvss.scoringVector)
            }
            if ratings.isEmpty { ratings = [CycloneDX.Vulnerability.Rating(score: nil, severity: (Severity(rawValue: finding.severity) ?? .untriaged).cycloneDX, method: "other", vector: nil)] }
            vulnerabilities.append(CycloneDX.Vulnerability(
                id: details.vulnerabilityId, source: CycloneDX.Vulnerability.Source(name: details.source, url: details.sourceUrl), ratings: ratings,
                description: finding.description, recommendation: finding.remediation.recommendation?.text,
                advisories: Array((details.referenceUrls ?? []).prefix(20)), affects: affects))
        }
        return try CycloneDX.encode(inventory, target: target, vulnerabilities: vulnerabilities)
    }
}

extension Severity {
    /// CycloneDX's severity words.
    public var cycloneDX: String {
        switch self {
        case .critical: "critical"
        case .high: "high"
        case .medium: "medium"
        case .low: "low"
        case .informational: "info"
        case .untriaged: "unknown"
        }
    }
}
