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
