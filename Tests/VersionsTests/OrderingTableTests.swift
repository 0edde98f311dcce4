import Foundation
import Testing
@testable import Versions
import VigilCore

/// Orderings with no oracle on this machine, checked against their specifications' own examples.
/// Each chain is strictly increasing; each equal pair compares `=`.
struct OrderingTableTests {
    struct Chain: CustomTestStringConvertible, Sendable {
        var scheme: VersionScheme
        var ascending: [String]
        var equal: [(String, String)] = []
        var invalid: [String] = []
        /// Where the facts come from.
        var source: String
        var testDescription: String { "\(scheme.displayName): \(source)" }
    }

    static let chains: [Chain] = [
        Chain(
            scheme: .apk,
            ascending: ["1.0_alpha", "1.0_alpha1", "1.0_beta", "1.0_pre1", "1.0_rc1", "1.0", "1.0-r1", "1.0-r10", "1.0_p1",
                        "1.0a", "1.0b", "1.0.1", "1.1", "1.1_git20200101", "1.2"],
            equal: [("1.0-r1", "1.0-r01"), ("1.0_rc1", "1.0_rc01")],
            invalid: ["", "1.0-1", "1.0_foo", "1.0-rc", "1.0 r1"],
            source: "apk-tools version.c grammar: number{.number}{letter}{_suffix{number}}{-rN}; pre-release suffixes alpha<beta<pre<rc before the release, post suffixes after"
        ),
        Chain(
            scheme: .apk,
            ascending: ["1.001", "1.01", "1.05", "1.5", "1.10"],
            equal: [("1.05-r0", "1.05-r0")],
            source: "apk-tools version.c: a dotted component with leading zeros compares as a decimal fraction"
        ),
        Chain(
            scheme: .apk,
            ascending: ["1.2.3", "1.2.18446744073709551616", "1.2.18446744073709551617", "1.3"],
            source: "numbers beyond 64 bits (apk-tools uses int and would overflow; Vigil compares exactly)"
        ),
        Chain(
            scheme: .semver,
            ascending: ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                        "1.0.0-rc.1", "1.0.0", "1.9.0", "1.10.0", "1.11.0", "2.0.0", "2.1.0", "2.1.1",
                        "18446744073709551616.0.0"],
            equal: [("1.0.0+a", "1.0.0+b"), ("1.0.0-alpha+001", "1.0.0-alpha")],
            invalid: ["1.0", "v1.0.0", "01.0.0", "1.0.0-01", "1.0.0-", "1.0.0+", "1.0.0-a..b", "1.0.0_x"],
            source: "semver.org 2.0.0, items 9-11 (precedence examples)"
        ),
        Chain(
            scheme: .go,
            ascending: ["v0.0.0-20170426191122-ca1404ee6e83", "v0.0.0-20250807212521-c52795c1ef74", "v0.1.0",
                        "v1.2.3", "v1.2.4-0.20191109021931-daa7c04131f5", "v1.2.4", "1.21.0-rc.4", "1.21.0", "v2.0.0+incompatible",
                        "v3.0.2+incompatible", "v10.7.0-rc1+incompatible"],
            equal: [("v1.2.3", "1.2.3"), ("v1", "v1.0.0"), ("v1.2", "v1.2.0"), ("v2.0.0+incompatible", "v2.0.0")],
            invalid: ["v1.2-pre", "v1.2.3.4", "1.02.3", "v"],
            source: "golang.org/x/mod/semver documentation; pseudo-versions per the Go modules reference"
        ),
        Chain(
            scheme: .nuget,
            ascending: ["1.0.0-2", "1.0.0-10", "1.0.0-alpha", "1.0.0-Beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",
                        "1.0.0", "1.0.0.1", "1.0.1", "7.0.0-preview", "7.0.0", "2147483647.0"],
            equal: [("1.0", "1.0.0.0"), ("1.0.0-ALPHA", "1.0.0-alpha"), ("1.0.0+meta", "1.0.0"), ("01.2", "1.2.0")],
            invalid: ["", "1.2.3.4.5", "1.2147483648", "a.b", "1.0-", "1.0.0-a..b", "1..2"],
            source: "NuGet package versioning docs (normalization, case-insensitive pre-release labels, numeric labels)"
        ),
        Chain(
            scheme: .packagist,
            ascending: ["1.0.0-dev", "1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-beta", "1.0.0-beta2", "1.0.0-RC1", "1.0.0",
                        "1.0.0-patch1", "1.0.1", "v1.1", "1.10", "2010-01-02", "2010.01.03"],
            equal: [("1.0", "1.0.0"), ("v1.0", "1.0.0.0"), ("1.0.0+build7", "1.0.0"), ("1.0.0-b2", "1.0.0-beta2"),
                    ("1.0.0-pl1", "1.0.0-patch1"), ("1.0.0-stable", "1.0.0"), ("1.0.0-rc.1", "1.0.0RC1"), ("20100102-1", "20100102.1")],
            invalid: ["dev-master", "master", "1.0.0.0.0", "foo", "1.0.0-gamma", "1.0.0-beta-"],
            source: "composer/semver VersionParser::normalize rules and PHP version_compare's special forms (dev < alpha < beta < RC < release < patch)"
        ),
    ]

    @Test(arguments: chains)
    func ordersAsSpecified(_ chain: Chain) throws {
        for (low, high) in zip(chain.ascending, chain.ascending.dropFirst()) {
            #expect(try chain.scheme.compare(low, high) == .orderedAscending, "\(low) < \(high)")
            #expect(try chain.scheme.compare(high, low) == .orderedDescending, "\(high) > \(low)")
        }
        for (a, b) in chain.equal {
            #expect(try chain.scheme.compare(a, b) == .orderedSame, "\(a) = \(b)")
        }
        for text in chain.invalid {
            #expect(throws: VersionError.self, "'\(text)' should be rejected") { try chain.scheme.validate(text) }
        }
    }

    @Test func errorsNameTheVersionAndTheProblem() throws {
        do {
            _ = try VersionScheme.pep440.compare("1.0", "1.0x")
            Issue.record("1.0x parsed")
        } catch {
            #expect(error.description == "invalid PEP 440 version '1.0x': unexpected text at offset 3")
        }
        #expect(throws: VersionError.unsupportedEcosystem("Hackage")) { try VersionScheme(ecosystem: Ecosystem("Hackage")) }
    }

    @Test(arguments: [
        ("Debian:12", VersionScheme.dpkg), ("Ubuntu:22.04:LTS", .dpkg), ("AlmaLinux:9", .rpm), ("Red Hat", .rpm),
        ("Rocky Linux:9", .rpm), ("SUSE", .rpm), ("openSUSE", .rpm), ("Mageia", .rpm), ("openEuler", .rpm),
        ("Alpine:v3.19", .apk), ("Wolfi", .apk), ("Chainguard", .apk), ("PyPI", .pep440), ("npm", .npm),
        ("crates.io", .semver), ("Hex", .semver), ("Pub", .semver), ("Go", .go), ("Maven", .maven),
        ("RubyGems", .rubygems), ("NuGet", .nuget), ("Packagist", .packagist),
    ])
    func ecosystemsMapToTheirScheme(_ name: String, _ scheme: VersionScheme) throws {
        #expect(try VersionScheme(ecosystem: Ecosystem(name)) == scheme)
    }

    @Test func emptyVersionsAreRejectedEverywhere() {
        // Gem::Version reads "" as "0" and dpkg --compare-versions treats it as a blank version; Vigil
        // rejects it on purpose so a missing version never passes for the oldest one.
        for scheme in VersionScheme.allCases {
            #expect(throws: VersionError.self) { try scheme.validate("") }
        }
    }
}
