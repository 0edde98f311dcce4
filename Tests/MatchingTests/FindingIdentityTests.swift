@testable import Findings
import Foundation
import Testing

/// Finding ARNs must never change across Vigil versions (stored findings, suppression rules and
/// tickets refer to them), and fingerprints must be stable across processes.
struct FindingIdentityTests {
    @Test func findingIDIsStable() {
        // FNV-1a 64 of "RESOURCE\0VULNERABILITY", then its byte-swapped value xor the golden ratio,
        // as 32 hex digits: the value below was computed independently (Python) from that rule.
        let resource = "arn:aws:ecr:us-east-1:123456789012:repository/shop/web/sha256:abc"
        #expect(FindingBuilder.findingID(resource, "CVE-2023-0286") == "633023cd00414bfa647c38b9b2694c76")
        #expect(FindingBuilder.findingID(resource, "CVE-2023-0287") != FindingBuilder.findingID(resource, "CVE-2023-0286"))
    }

    @Test func hexDigitsAreFormatted() {
        for value: UInt64 in [0, 1, 0xf, 0xdead_beef, .max, 0x0123_4567_89ab_cdef] {
            #expect(Fingerprint.hex(value) == String(format: "%016llx", value))
        }
    }

    @Test func fingerprintSeparatesParts() {
        var a = Fingerprint(), b = Fingerprint()
        a.add("ab", "c")
        b.add("a", "bc")
        #expect(a.value != b.value)
        var c = Fingerprint()
        c.add("ab", "c")
        #expect(a.value == c.value)
    }
}

/// Reconciliation from the store's columns (`Reconciler.Previous`) follows Inspector's lifecycle.
struct ReconcilerTests {
    static func finding(severity: String = "HIGH", fixed: String = "1.1", status: String = "ACTIVE", at time: Double = 1_000) -> Finding {
        Finding(findingArn: "arn:aws:inspector2:us-east-1:111122223333:finding/f1", awsAccountId: "111122223333", description: "d",
                title: "CVE-2023-0286 - openssl", remediation: Remediation(recommendation: nil), severity: severity,
                firstObservedAt: time, lastObservedAt: time, updatedAt: time, status: status, resources: [Resource(type: "AWS_EC2_INSTANCE", id: "i-1")],
                packageVulnerabilityDetails: PackageVulnerabilityDetails(
                    vulnerabilityId: "CVE-2023-0286",
                    vulnerablePackages: [VulnerablePackage(name: "libssl1.1", version: "1.1.1n", fixedInVersion: fixed)], source: "DEBIAN_DSA"))
    }

    @Test func seenAgainChangedClosedAndSuppressed() {
        let later = Date(timeIntervalSince1970: 2_000)
        let old = Self.finding()
        // Unchanged content: first observation and updatedAt kept, last observation moves.
        let same = Reconciler.observe(Self.finding(at: 2_000), previous: Reconciler.Previous(old), now: later)
        #expect(same.firstObservedAt == 1_000 && same.updatedAt == 1_000 && same.lastObservedAt == 2_000 && same.status == "ACTIVE")
        // A new fixed version or severity is a change a reader sees.
        #expect(Reconciler.observe(Self.finding(fixed: "1.2", at: 2_000), previous: Reconciler.Previous(old), now: later).updatedAt == 2_000)
        #expect(Reconciler.observe(Self.finding(severity: "CRITICAL", at: 2_000), previous: Reconciler.Previous(old), now: later).updatedAt == 2_000)
        // Suppressed stays suppressed; a closed finding coming back is ACTIVE and updated.
        #expect(Reconciler.observe(Self.finding(at: 2_000), previous: Reconciler.Previous(Self.finding(status: "SUPPRESSED")), now: later).status == "SUPPRESSED")
        let back = Reconciler.observe(Self.finding(at: 2_000), previous: Reconciler.Previous(Self.finding(status: "CLOSED")), now: later)
        #expect(back.status == "ACTIVE" && back.updatedAt == 2_000 && back.firstObservedAt == 1_000)
        // New: first seen now. Gone: closed now.
        #expect(Reconciler.observe(Self.finding(at: 2_000), previous: nil, now: later).firstObservedAt == 2_000)
        #expect(Reconciler.reconcile(existing: [old], fresh: [], now: later).map { "\($0.status) \($0.updatedAt ?? 0)" } == ["CLOSED 2000.0"])
    }
}
