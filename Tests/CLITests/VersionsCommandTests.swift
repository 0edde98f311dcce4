import Foundation
import Testing
import TestSupport

/// `vigil versions compare` driven through the real executable, as a user or a script would.
struct VersionsCommandTests {
    /// The `vigil` binary built next to this test bundle.
    static let vigil: URL = {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appending(path: "vigil").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appending(path: "vigil")
    }()

    static func run(_ arguments: [String], input: String = "") throws -> Subprocess.Result {
        try Subprocess.run(vigil, arguments, input: input)
    }

    @Test(arguments: [
        (["Debian", "1:1.0-1", "2.0-1"], ">"),
        (["Debian:12", "1.0~rc1", "1.0"], "<"),
        (["PyPI", "1.0", "1.0.0"], "="),
        (["Maven", "1.0-SNAPSHOT", "1.0"], "<"),
        (["Alpine:v3.19", "1.2.3-r1", "1.2.3-r0"], ">"),
        (["Go", "v1.2.3", "1.2.3"], "="),
    ])
    func comparesTwoVersions(_ arguments: [String], _ expected: String) throws {
        let result = try Self.run(["versions", "compare"] + arguments)
        #expect(result.status == 0)
        #expect(result.output == expected + "\n")
    }

    @Test func invalidVersionExitsTwoAndNamesIt() throws {
        let result = try Self.run(["versions", "compare", "npm", "1.0.0", "01.0.0"])
        #expect(result.status == 2)
        #expect(result.output.isEmpty)
        #expect(result.errors.contains("'01.0.0'"))
        #expect(result.errors.contains("leading zero"))
    }

    @Test func unknownEcosystemExitsTwo() throws {
        let result = try Self.run(["versions", "compare", "Hackage", "1", "2"])
        #expect(result.status == 2)
        #expect(result.errors.contains("Hackage"))
    }

    @Test func batchPrintsOneResultPerLine() throws {
        let input = "1.0\t1.1\n1.1\t1.0\n2.0\t2.0\n1.0x\t1.0\nno tab here\n1!1.0\t2.0\n"
        let result = try Self.run(["versions", "compare", "PyPI", "--batch"], input: input)
        #expect(result.status == 0)
        #expect(result.output == "<\n>\n=\n!\n!\n>\n")
        #expect(result.errors.contains("line 4: invalid PEP 440 version '1.0x'"))
        #expect(result.errors.contains("line 5: expected two versions separated by a tab"))
    }

    @Test func batchHandlesAHundredThousandPairs() throws {
        var lines: [String] = []
        for i in 0..<100_000 { lines.append("1.\(i % 977)-\(i % 13)\t1.\(i % 983)-\(i % 11)") }
        let result = try Self.run(["versions", "compare", "Debian", "--batch"], input: lines.joined(separator: "\n") + "\n")
        #expect(result.status == 0)
        let out = result.output.split(separator: "\n")
        #expect(out.count == 100_000)
        #expect(Set(out) == ["<", "=", ">"])
    }
}
