import Foundation

/// Reconciliation after a scan of one resource: what the store should hold for it next.
///
/// - A finding seen for the first time is ACTIVE, first and last observed now.
/// - A finding seen again keeps its first observation, is last observed now, and its `updatedAt`
///   moves only when something a reader cares about changed (severity, score, packages, fix or
///   exploit availability, EPSS, title: its `content`), or when a CLOSED finding comes back. A
///   SUPPRESSED finding stays suppressed.
/// - A finding no longer present is CLOSED (updated now); one already CLOSED is left alone.
/// ARNs are derived from (account, resource, vulnerability), so the same vulnerability on the same
/// resource is always the same finding.
public enum Reconciler {
    /// What reconciliation needs of a stored finding (kept in the store's columns, so a finding
    /// seen again needs no decoding of its old document).
    public struct Previous: Sendable, Hashable {
        public var status: String
        public var firstObservedAt: Double
        public var updatedAt: Double?
        public var content: String

        public init(status: String, firstObservedAt: Double, updatedAt: Double?, content: String) {
            self.status = status
            self.firstObservedAt = firstObservedAt
            self.updatedAt = updatedAt
            self.content = content
        }

        public init(_ finding: Finding) {
            self.init(status: finding.status, firstObservedAt: finding.firstObservedAt, updatedAt: finding.updatedAt, content: Reconciler.content(finding))
        }
    }

    public static func reconcile(existing: [Finding], fresh: [Finding], now: Date) -> [Finding] {
        let before = Dictionary(existing.map { ($0.findingArn, $0) }, uniquingKeysWith: { a, _ in a })
        var out = fresh.map { finding in observe(finding, previous: before[finding.findingArn].map(Previous.init), now: now) }
        let seen = Set(fresh.map(\.findingArn))
        for old in existing where !seen.contains(old.findingArn) && old.status != "CLOSED" { out.append(close(old, now: now)) }
        return out
    }

    /// A freshly built finding as the store should hold it, given what it held before (nil: new).
    public static func observe(_ fresh: Finding, previous: Previous?, now: Date) -> Finding {
        let time = now.timeIntervalSince1970.rounded()
        var finding = fresh
        finding.lastObservedAt = time
        guard let previous else {
            finding.firstObservedAt = time
            finding.updatedAt = time
            finding.status = "ACTIVE"
            return finding
        }
        finding.firstObservedAt = previous.firstObservedAt
        finding.status = previous.status == "SUPPRESSED" ? "SUPPRESSED" : "ACTIVE"
        finding.updatedAt = previous.content != content(fresh) || previous.status == "CLOSED" ? time : previous.updatedAt
        return finding
    }

    /// A finding no longer present.
    public static func close(_ old: Finding, now: Date) -> Finding {
        var closed = old
        closed.status = "CLOSED"
        closed.updatedAt = now.timeIntervalSince1970.rounded()
        return closed
    }

    /// Every open finding of a resource closed (its scanning was disabled or it left coverage).
    public static func closeAll(_ existing: [Finding], now: Date) -> [Finding] {
        reconcile(existing: existing, fresh: [], now: now)
    }

    /// What a reader cares about in a finding, as a stable fingerprint: severity, score, fix and
    /// exploit availability, EPSS, title and the vulnerable packages.
    public static func content(_ f: Finding) -> String {
        var print = Fingerprint()
        print.add(f.severity, f.inspectorScore.map { "\($0)" } ?? "-", f.fixAvailable ?? "-", f.exploitAvailable ?? "-",
                  f.epss?.score.map { "\($0)" } ?? "-", f.title ?? "-")
        for p in f.packageVulnerabilityDetails?.vulnerablePackages ?? [] {
            print.add(p.name, p.version, p.sourceLayerHash ?? "-", p.epoch.map { "\($0)" } ?? "-", p.release ?? "-", p.arch ?? "-",
                      p.packageManager ?? "-", p.filePath ?? "-", p.fixedInVersion ?? "-", p.remediation ?? "-", p.sourceLambdaLayerArn ?? "-")
        }
        return print.value
    }
}
