import Foundation
import Testing
@testable import Versions
import TestSupport
import VigilCore

/// Each ecosystem's ordering against the real package manager, on real versions from the OSV
/// snapshot in ../shared/data/osv plus adversarial variants of them (tildes, carets, epochs, leading
/// zeros, letters, numbers beyond 64 bits, invalid spellings). Zero disagreements allowed.
struct DifferentialTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var scheme: VersionScheme
        /// OSV ecosystems whose versions seed the pairs.
        var corpora: [String]
        /// The oracle command; it reads the pairs on standard input.
        var oracle: [String]
        var environment: [String: String] = [:]
        /// Derived versions for one real version.
        var variants: @Sendable (String) -> [String]
        /// Hand-picked edge cases compared with each other and with real versions.
        var edges: [String]
        var pairs = 3000

        var testDescription: String { scheme.displayName }
    }

    static let cases: [Case] = [
        Case(
            scheme: .dpkg, corpora: ["Debian", "Ubuntu"],
            oracle: ["bash", Paths.oracles.appending(path: "dpkg.sh").path],
            variants: { v in
                ["~rc1", "~", "~~", "+b1", "+dfsg1", "a", ".0", "-1", "-0", "~~a", "+"].map { v + $0 }
                    + ["1:" + v, "0:" + v, leadingZero(v), longNumber(v), bumpLast(v), v.uppercased()]
            },
            edges: ["1.0~rc1", "1.0", "1.0~~", "1.0~~a", "1.0~", "1.0+", "1.0-0", "0:1.0", "00:1.0", "1.0a", "1.0.",
                    "a1.0", "1:", ":1.0", "1.0-", "1.0-1-1", "2:0.1", "1.01", "1.001", "1.0-1ubuntu1", "1.0-1+deb12u1",
                    "99999999999999999999:1.0", "2147483647:1", "2147483648:1", "1.0 1", " 1.0", "1:1:1", "1.0-a~",
                    "1.0-1~bpo1", "18446744073709551616", "18446744073709551615", "0001", "1.0-1.", "1_0", "1.0-1_1",
                    "-1:1.0", "+1:1.0", "1.2.3+really1.2.2-1", "0~git20150813.0.1b506fc-2"]
        ),
        Case(
            scheme: .rpm, corpora: ["AlmaLinux"],
            oracle: ["bash", Paths.oracles.appending(path: "rpm.sh").path],
            variants: { v in
                ["~rc1", "^post1", "~", "^", ".1", "a", "_1", ".el8", "-1", "~~", "^^", ".0", "-0"].map { v + $0 }
                    + ["1:" + v, "0:" + v, leadingZero(v), longNumber(v), bumpLast(v), v.uppercased()]
            },
            edges: ["1.0", "1.0~rc1", "1.0^1", "1.0^", "1.0~", "1.0_1", "1..0", "1.0a", "1.0A", "2:1", "1:1.0-1",
                    "1.0-1.el8_9.alma.1", "0.0", ".", "~", "^", "a", "1.0-", "-1", ":1", "1:", "01:1", "1.0-1~", "1.0-1^",
                    "1.0~~1", "1.0^~", "1.0~^", "18446744073709551616", "18446744073709551615", "1.0+1", "1.0-1-1", "a:1",
                    "1.a.0", "1.0.α", "2.0.0-0.rc1"]
        ),
        Case(
            scheme: .pep440, corpora: ["PyPI"],
            oracle: ["python3", Paths.oracles.appending(path: "pep440.py").path],
            variants: { v in
                ["a1", "b2", "rc1", "c1", ".post1", "-1", ".dev0", "a1.dev1", ".post1.dev2", "+local.7", "+abc", "-alpha",
                 "_beta3", ".0", "pre", "preview1", "r1", "rev2", "+1.a", ".post", "a", "x", "..1"].map { v + $0 }
                    + ["1!" + v, "v" + v, v.uppercased(), leadingZero(v), longNumber(v), bumpLast(v), " \(v) "]
            },
            edges: ["1.0", "1.0.0", "1", "1.0a1", "1.0a", "1.0a-", "1.0.dev1", "1.0a1.dev1", "1.0.post1.dev1", "1.0-1",
                    "1.0-post", "1.0.r", "1.0rev", "1!0.1", "0!1.0", "1.0+ubuntu-1", "1.0+ubuntu.1", "1.0+ubuntu1",
                    "1.0+1", "1.0+a", "1.0+1.a", "1.0+a.1", "V1.0", "1.0c1", "1.0rc1", "1.0PREVIEW2", "1.0+", "1.0x",
                    "1..0", "", "1.0-", "1.0_", "18446744073709551616", "1.18446744073709551616", "1.0.dev", "1.0.post.dev"]
        ),
        Case(
            scheme: .npm, corpora: ["npm", "crates.io"],
            oracle: ["node", Paths.oracles.appending(path: "npm.js").path],
            environment: ["NODE_PATH": "/usr/share/nodejs"],
            variants: { v in
                ["-alpha", "-alpha.1", "-0", "-alpha.beta", "-beta.11", "-rc.1", "+build.1", "-01", "-x.7.z.92", "-1a",
                 "-alpha..1", "+", "-", ".0", "-9007199254740993", "-9007199254740992", "-beta.2"].map { v + $0 }
                    + ["v" + v, "=" + v, " \(v) ", leadingZero(v), longNumber(v), bumpLast(v), "V" + v]
            },
            edges: ["1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
                    "1.0.0-rc.1", "1.0.0", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.2", "1", "01.0.0",
                    "1.0.0-00", "9007199254740991.0.0", "9007199254740992.0.0", "1.0.0--", "1.0.0-a-b", "v1.2.3", "vv1.2.3"]
        ),
        Case(
            scheme: .maven, corpora: ["Maven"],
            oracle: ["bash", Paths.oracles.appending(path: "maven.sh").path],
            variants: { v in
                ["-SNAPSHOT", "-alpha-1", "-beta", "a1", "b2", "m3", "-rc1", "-cr1", "-RC1", ".Final", "-ga", "-sp1", "-xyz",
                 "-1", ".0", ".0.0", "-0", "--1", "-foo-bar1baz-.1", "-milestone-2", "-release", "_1", ".1-SNAPSHOT",
                 "-alpha", "-a", "-final-1", ".", "..", "-sp", "-zzz", "-abc"].map { v + $0 }
                    + [leadingZero(v), longNumber(v), bumpLast(v), v.uppercased()]
            },
            edges: ["1", "1.0", "1.0.0", "1-0", "1-ga", "1-final", "1-release", "1-sp", "1-sp1", "1-alpha1", "1-a1", "1a1",
                    "1-beta", "1-milestone", "1-rc", "1-cr", "1-snapshot", "1-SNAPSHOT", "1-xyz", "1-abc", "1.1", "1-1",
                    "1..1", "1-.1", "1.0.0.0.0.1", "2147483647", "2147483648", "9223372036854775807",
                    "9223372036854775808", "123456789012345678901234567890", "1.0-alpha-1.0", "1-0.1", "1-0-1", "1.a", "a"],
            pairs: 3000
        ),
        Case(
            scheme: .rubygems, corpora: ["RubyGems"],
            oracle: ["ruby", Paths.oracles.appending(path: "rubygems.rb").path],
            variants: { v in
                [".a", ".pre", ".pre.1", "-rc1", ".beta.2", ".0", ".0.0", "a", "-1", ".A", ".a.0", "b", ".rc.1", "..1",
                 "-", ".a1", ".1a", "-a-b"].map { v + $0 }
                    + [leadingZero(v), longNumber(v), bumpLast(v), " \(v) ", "v" + v]
            },
            edges: ["1", "1.0", "1.0.0", "1.a", "1.0.a", "1.0.a.1", "1.0.b", "1.0.A", "1.0.pre", "1.0-pre", "1.0-1", "1.0.rc1",
                    "1.0.0.0", "1.a.0", "1.0.a.0", "1-a", "1.0.0-rc.1", "a.1", "1..0", "18446744073709551616",
                    "1.18446744073709551616", "0", "00", "1.0.z", "1.0.Z", "2.0.0.rc1"]
        ),
    ]

    @Test(arguments: cases)
    func agreesWithTheRealTool(_ c: Case) throws {
        var real: [String] = []
        for corpus in c.corpora { real += try Corpus.versions(corpus) }
        #expect(real.count >= 20, "the OSV snapshot should supply real versions for \(c.corpora)")
        let pairs = Self.makePairs(real: real, c: c)
        #expect(pairs.count >= 2000)
        let input = pairs.map { "\($0.0)\t\($0.1)" }.joined(separator: "\n") + "\n"
        let expected = try Subprocess.lines(c.oracle, input: input, environment: c.environment)
        try #require(expected.count == pairs.count, "oracle printed \(expected.count) lines for \(pairs.count) pairs")
        var disagreements: [String] = []
        var invalid = 0
        for ((a, b), want) in zip(pairs, expected) {
            let got: String
            do {
                got = try c.scheme.compare(a, b).symbol
            } catch {
                got = "!"
                invalid += 1
            }
            if got != want { disagreements.append("'\(a)' vs '\(b)': oracle \(want), vigil \(got)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) of \(pairs.count) disagree:\n\(disagreements.prefix(40).joined(separator: "\n"))")
        // The corpus must exercise every outcome, or the test proves little.
        for outcome in ["<", "=", ">"] { #expect(expected.contains(outcome)) }
        print("\(c.scheme.displayName): \(pairs.count) pairs, \(disagreements.count) disagreements, \(invalid) with an invalid version")
    }

    static func makePairs(real: [String], c: Case) -> [(String, String)] {
        var generator = SplitMix64(seed: 0xDA7A + UInt64(c.scheme.rawValue.utf8.count))
        var pairs: [(String, String)] = []
        let sorted = real.sorted()
        // Close neighbours in text order differ in one component: the hard cases.
        for k in stride(from: 1, to: sorted.count, by: max(1, sorted.count / 600)) { pairs.append((sorted[k - 1], sorted[k])) }
        // Each sampled real version against its adversarial variants, both ways round.
        let samples = (0..<60).map { _ in real[Int(generator.next() % UInt64(real.count))] }
        for v in samples {
            for w in c.variants(v) {
                pairs.append(generator.next() % 2 == 0 ? (v, w) : (w, v))
            }
        }
        let pool = real + c.edges
        for e in c.edges {
            for _ in 0..<4 { pairs.append((e, pool[Int(generator.next() % UInt64(pool.count))])) }
            pairs.append((e, e))
        }
        while pairs.count < c.pairs {
            pairs.append((pool[Int(generator.next() % UInt64(pool.count))], pool[Int(generator.next() % UInt64(pool.count))]))
        }
        return pairs.filter { !$0.0.contains("\t") && !$0.1.contains("\t") }
    }
}

/// `1.2.3` → `01.2.3`: a leading zero on the first number.
func leadingZero(_ v: String) -> String {
    guard let i = v.firstIndex(where: \.isNumber) else { return "0" + v }
    return v[..<i] + "0" + v[i...]
}

/// Replaces the last run of digits with a 30-digit number, beyond 64 bits.
func longNumber(_ v: String) -> String {
    guard let end = v.lastIndex(where: \.isNumber) else { return v + "123456789012345678901234567890" }
    var start = end
    while start > v.startIndex, v[v.index(before: start)].isNumber { start = v.index(before: start) }
    return v[..<start] + "123456789012345678901234567890" + v[v.index(after: end)...]
}

/// Adds one to the last run of digits (as text, so any length works).
func bumpLast(_ v: String) -> String {
    guard let end = v.lastIndex(where: \.isNumber) else { return v }
    var start = end
    while start > v.startIndex, v[v.index(before: start)].isNumber { start = v.index(before: start) }
    var digits = Array(v[start...end])
    var k = digits.count - 1
    while k >= 0 {
        if digits[k] == "9" { digits[k] = "0"; k -= 1 } else { digits[k] = Character(String(digits[k].wholeNumberValue! + 1)); break }
    }
    if k < 0 { digits.insert("1", at: 0) }
    return v[..<start] + String(digits) + v[v.index(after: end)...]
}
