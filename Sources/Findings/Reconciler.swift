import Foundation

/// Reconciliation after a scan of one resource: what the store should hold for it next.
///
/// - A finding seen for the first time is ACTIVE, first and last observed now.
/// - A finding seen again keeps its first observation, is last observed now, and its `updatedAt`
///   moves only when something a reader cares about changed (severity, score, packages, fix or
///   exploit availability, EPSS, or a CLOSED finding coming back). A SUPPRESSED finding stays
///   suppressed.
/// - A finding no longer present is CLOSED (updated now); one already CLOSED is left alone.
/// ARNs are derived from (account, resource, vulnerability), so the same vulnerability on the same
/// resource is always the same finding.
public enum Reconciler {
    public static func reconcile(existing: [Finding], fresh: [Finding], now: Date) -> [Finding] {
        let time = now.timeIntervalSince1970.rounded()
        let before = Dictionary(existing.map { ($0.findingArn, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [Finding] = []
        var seen = Set<String>()
        for var finding in fresh {
            seen.insert(finding.findingArn)
            guard let old = before[finding.findingArn] else {
                finding.firstObservedAt = time
                finding.lastObservedAt = time
                finding.updatedAt = time
                finding.status = "ACTIVE"
                out.append(finding)
                continue
            }
            finding.firstObservedAt = old.firstObservedAt
            finding.lastObservedAt = time
            finding.status = old.status == "SUPPRESSED" ? "SUPPRESSED" : "ACTIVE"
            finding.updatedAt = changed(old, finding) || old.status == "CLOSED" ? time : old.updatedAt
            out.append(finding)
        }
        for var old in existing where !seen.contains(old.findingArn) && old.status != "CLOSED" {
            old.status = "CLOSED"
            old.updatedAt = time
            out.append(old)
        }
        return out
    }

    /// Every open finding of a resource closed (its scanning was disabled or it left coverage).
    public static func closeAll(_ existing: [Finding], now: Date) -> [Finding] {
        reconcile(existing: existing, fresh: [], now: now)
    }

    static func changed(_ a: Finding, _ b: Finding) -> Bool {
        a.severity != b.severity || a.inspectorScore != b.inspectorScore || a.fixAvailable != b.fixAvailable
            || a.exploitAvailable != b.exploitAvailable || a.epss != b.epss || a.title != b.title
            || a.packageVulnerabilityDetails?.vulnerablePackages != b.packageVulnerabilityDetails?.vulnerablePackages
    }
}
