import Foundation
import Testing
@testable import Advisories
import TestSupport
import VigilCore

/// CVSS scores against the RedHatProductSecurity `cvss` library: its own test vectors (copied
/// into ../shared/data/cvss) and thousands of random vectors scored by the library at test time.
struct CVSSTests {
    static let data = Repository.sharedData.appending(path: "cvss")

    @Test(arguments: ["vectors_simple2", "vectors_simple3", "vectors_simple31", "vectors_simple4"])
    func libraryTestVectors(_ file: String) throws {
        let text = try String(contentsOf: Self.data.appending(path: file), encoding: .utf8)
        var checked = 0
        for line in text.split(separator: "\n") {
            // "VECTOR - (base, temporal, environmental)"
            guard let dash = line.range(of: " - (") else { continue }
            let vector = String(line[..<dash.lowerBound])
            let base = line[dash.upperBound...].split(separator: ",").first.flatMap { Double($0.trimmingCharacters(in: .whitespaces)) }
            let expected = try #require(base, "no base score in '\(line)'")
            let score = try CVSSScore(vector: vector)
            #expect(score.baseScore == expected + 0, "\(vector): library \(expected), vigil \(score.baseScore)")
            checked += 1
        }
        #expect(checked > 500)
    }

    @Test func randomVectorsAgreeWithTheLibrary() throws {
        var generator = SplitMix64(seed: 31337)
        func pick(_ values: [String]) -> String { values[Int(generator.next() % UInt64(values.count))] }
        var vectors: [String] = []
        for k in 0..<6000 {
            if k % 3 == 2 {
                var v = "CVSS:4.0/AV:\(pick(["N", "A", "L", "P"]))/AC:\(pick(["L", "H"]))/AT:\(pick(["N", "P"]))/PR:\(pick(["N", "L", "H"]))/UI:\(pick(["N", "P", "A"]))"
                for metric in ["VC", "VI", "VA", "SC", "SI", "SA"] { v += "/\(metric):\(pick(["H", "L", "N"]))" }
                if k % 2 == 0 { v += "/E:\(pick(["X", "A", "P", "U"]))" }
                if k % 5 == 0 {
                    v += "/CR:\(pick(["X", "H", "M", "L"]))/IR:\(pick(["X", "H", "M", "L"]))/AR:\(pick(["X", "H", "M", "L"]))"
                    v += "/MAV:\(pick(["X", "N", "A", "L", "P"]))/MVC:\(pick(["X", "H", "L", "N"]))/MSI:\(pick(["X", "S", "H", "L", "N"]))/MSA:\(pick(["X", "S", "H", "L", "N"]))"
                }
                vectors.append(v)
            } else if k % 3 == 0 {
                vectors.append("AV:\(pick(["L", "A", "N"]))/AC:\(pick(["H", "M", "L"]))/Au:\(pick(["M", "S", "N"]))/C:\(pick(["N", "P", "C"]))/I:\(pick(["N", "P", "C"]))/A:\(pick(["N", "P", "C"]))")
            } else {
                let version = pick(["3.0", "3.1"])
                var v = "CVSS:\(version)/AV:\(pick(["N", "A", "L", "P"]))/AC:\(pick(["L", "H"]))/PR:\(pick(["N", "L", "H"]))/UI:\(pick(["N", "R"]))/S:\(pick(["U", "C"]))/C:\(pick(["H", "L", "N"]))/I:\(pick(["H", "L", "N"]))/A:\(pick(["H", "L", "N"]))"
                if k % 3 == 0 { v += "/E:\(pick(["X", "H", "F", "P", "U"]))/RL:\(pick(["X", "U", "W", "T", "O"]))/RC:\(pick(["X", "C", "R", "U"]))" }
                vectors.append(v)
            }
        }
        let expected = try Self.library(vectors)
        try #require(expected.count == vectors.count)
        var disagreements: [String] = []
        for (vector, want) in zip(vectors, expected) {
            let got = try CVSSScore(vector: vector).baseScore
            if Double(want) != got { disagreements.append("\(vector): library \(want), vigil \(got)") }
        }
        #expect(disagreements.isEmpty, "\(disagreements.count) disagree:\n\(disagreements.prefix(20).joined(separator: "\n"))")
    }

    @Test(arguments: [
        ("CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", 9.8, Severity.critical),
        ("CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N", 4.3, .medium),
        ("AV:N/AC:L/Au:N/C:P/I:P/A:P", 7.5, .high),
        ("(AV:L/AC:H/Au:M/C:N/I:N/A:N)", 0.0, .informational),
        ("CVSS:3.1/AV:P/AC:H/PR:H/UI:R/S:U/C:L/I:N/A:N", 1.6, .low),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N", 9.3, .critical),
        ("CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:N/VI:N/VA:N/SC:N/SI:N/SA:N", 0.0, .informational),
    ])
    func knownScoresAndBands(_ vector: String, _ score: Double, _ severity: Severity) throws {
        let result = try CVSSScore(vector: vector)
        #expect(result.baseScore == score)
        #expect(result.severity == severity)
    }

    @Test(arguments: [
        "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H", "CVSS:3.1/AV:X/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H",
        "CVSS:3.1/AV:N/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "garbage", "", "AV:N/AC:L/Au:N/C:P/I:P",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N",
        "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/MSC:S",
    ])
    func malformedVectorsNameTheProblem(_ vector: String) {
        #expect(throws: CVSSError.self) { try CVSSScore(vector: vector) }
    }

    @Test func severityBandsFollowInspector() {
        #expect(Severity(score: 0) == .informational)
        #expect(Severity(score: 0.1) == .low)
        #expect(Severity(score: 3.9) == .low)
        #expect(Severity(score: 4.0) == .medium)
        #expect(Severity(score: 6.9) == .medium)
        #expect(Severity(score: 7.0) == .high)
        #expect(Severity(score: 8.9) == .high)
        #expect(Severity(score: 9.0) == .critical)
        #expect(Severity(score: 10) == .critical)
    }

    static func library(_ vectors: [String]) throws -> [String] {
        let script = Repository.root.appending(path: "Tests/AdvisoriesTests/Oracles/cvss_base.py")
        return try Subprocess.lines(["python3", script.path], input: vectors.joined(separator: "\n") + "\n")
    }
}
