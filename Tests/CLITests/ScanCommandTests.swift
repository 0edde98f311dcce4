import Foundation
import Testing
import TestSupport

/// `vigil scan` end to end on a Debian 11 root against the real Debian advisories: report formats
/// checked by their validators, CI gates, suppression by ignore file and VEX, bad input.
@Suite(.serialized) struct ScanCommandTests {
    static let dataDirectory: URL = {
        let dir = ScratchDirectory.forProcess("vigil-scan-db")
        _ = try? VersionsCommandTests.run(["db", "import", "--data-dir", dir.path,
                                           Repository.sharedData.appending(path: "osv/Debian/all.zip").path,
                                           Repository.sharedData.appending(path: "kev/known_exploited_vulnerabilities.json").path])
        return dir
    }()

    /// Real bullseye versions before their DSA fixes (libssl1.1 from openssl, zlib1g with an epoch).
    static func root(_ scratch: ScratchDirectory) throws -> String {
        let root = scratch.path("root")
        try ScratchDirectory.write("ID=debian\nVERSION_ID=\"11\"\n", to: "etc/os-release", in: root)
        try ScratchDirectory.write("""
            Package: libssl1.1
            Status: install ok installed
            Architecture: amd64
            Source: openssl
            Version: 1.1.1n-0+deb11u1

            Package: zlib1g
            Status: install ok installed
            Architecture: amd64
            Source: zlib
            Version: 1:1.2.11.dfsg-2+deb11u1

            """, to: "var/lib/dpkg/status", in: root)
        return root.path
    }

    func scan(_ arguments: [String]) throws -> Subprocess.Result {
        try VersionsCommandTests.run(["scan", "--data-dir", Self.dataDirectory.path] + arguments)
    }

    static func findings(_ json: String) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        return object["findings"] as? [[String: Any]] ?? []
    }

    static func ids(_ findings: [[String: Any]]) -> Set<String> {
        Set(findings.compactMap { ($0["packageVulnerabilityDetails"] as? [String: Any])?["vulnerabilityId"] as? String })
    }

    @Test(.timeLimit(.minutes(3)))
    func tableAndInspectorReports() throws {
        let scratch = try ScratchDirectory()
        let root = try Self.root(scratch)
        let table = try scan([root])
        #expect(table.status == 0, "\(table.errors)")
        #expect(table.output.hasPrefix("SEVERITY   SCORE  VULNERABILITY"))
        #expect(table.output.contains("CVE-2022-37434  zlib1g"))
        let inspector = try scan([root, "--format", "inspector"])
        let findings = try Self.findings(inspector.output)
        #expect(Self.ids(findings).contains("CVE-2022-1292"))
        #expect(Self.ids(findings).contains("CVE-2022-37434"))
        for finding in findings {
            for key in ["findingArn", "awsAccountId", "type", "description", "remediation", "severity", "firstObservedAt", "lastObservedAt", "status", "resources"] {
                #expect(finding[key] != nil, "missing \(key)")
            }
            #expect(finding["type"] as? String == "PACKAGE_VULNERABILITY")
        }
    }

    @Test(.timeLimit(.minutes(3)))
    func failOnGatesAndFilters() throws {
        let scratch = try ScratchDirectory()
        let root = try Self.root(scratch)
        // Debian's records carry no rating: every finding is UNTRIAGED, below any named severity.
        #expect(try scan([root, "--fail-on", "LOW"]).status == 0)
        let gated = try scan([root, "--fail-on", "UNTRIAGED"])
        #expect(gated.status == 1)
        #expect(gated.errors.contains("findings at or above UNTRIAGED"))
        let filtered = try scan([root, "--severity", "CRITICAL,HIGH", "--format", "inspector"])
        #expect(try Self.findings(filtered.output).isEmpty)
        let bad = try scan([root, "--fail-on", "SEVERE"])
        #expect(bad.status == 2)
        #expect(bad.errors.contains("'SEVERE' is not a severity"))
    }

    @Test(.timeLimit(.minutes(3)))
    func ignoreFileAndVEXSuppress() throws {
        let scratch = try ScratchDirectory()
        let root = try Self.root(scratch)
        let ignore = scratch.path("ignore")
        try Data("""
            # accepted until the next maintenance window
            CVE-2022-1292 exp:2099-01-01 # not reachable
            CVE-2022-37434 exp:2000-01-01 # expired: applies no more
            DSA-5169-1
            """.utf8).write(to: ignore)
        let ignored = try Self.findings(try scan([root, "--ignore-file", ignore.path, "--format", "inspector"]).output)
        let status = Dictionary(uniqueKeysWithValues: ignored.compactMap { f in
            ((f["packageVulnerabilityDetails"] as? [String: Any])?["vulnerabilityId"] as? String).map { ($0, f["status"] as? String ?? "") }
        })
        #expect(status["CVE-2022-1292"] == "SUPPRESSED")
        #expect(status["CVE-2022-37434"] == "ACTIVE")
        #expect(status["CVE-2022-2068"] == "SUPPRESSED")  // through its related DSA id
        let table = try scan([root, "--ignore-file", ignore.path])
        #expect(!table.output.contains("CVE-2022-1292"))
        #expect(table.errors.contains("suppressed by the ignore file or VEX"))

        let vex = scratch.path("vex.json")
        try Data(#"""
            {"@context": "https://openvex.dev/ns/v0.2.0", "@id": "https://example.com/vex/1", "author": "security team",
             "timestamp": "2026-11-01T00:00:00Z", "version": 1,
             "statements": [{"vulnerability": {"name": "CVE-2022-37434"}, "products": [{"@id": "pkg:deb/debian/zlib1g"}],
                             "status": "not_affected", "justification": "vulnerable_code_not_in_execute_path"},
                            {"vulnerability": {"name": "CVE-2022-1292"}, "products": [{"@id": "pkg:deb/debian/curl"}],
                             "status": "not_affected", "justification": "component_not_present"}]}
            """#.utf8).write(to: vex)
        let vexed = try Self.findings(try scan([root, "--vex", vex.path, "--format", "inspector"]).output)
        let vexStatus = Dictionary(uniqueKeysWithValues: vexed.compactMap { f in
            ((f["packageVulnerabilityDetails"] as? [String: Any])?["vulnerabilityId"] as? String).map { ($0, f["status"] as? String ?? "") }
        })
        #expect(vexStatus["CVE-2022-37434"] == "SUPPRESSED")
        #expect(vexStatus["CVE-2022-1292"] == "ACTIVE")  // the statement is about another product
    }

    @Test(.timeLimit(.minutes(3)))
    func sarifAndCycloneDXPassTheirValidators() throws {
        let scratch = try ScratchDirectory()
        let root = try Self.root(scratch)
        let sarif = try scan([root, "--format", "sarif"])
        #expect(sarif.status == 0)
        let check = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", "-c", """
            import json, sys
            from pydantic_sarif.model import StaticAnalysisResultsFormatSarifVersion210JsonSchema as Sarif
            doc = json.load(sys.stdin)
            Sarif.model_validate(doc)
            run = doc["runs"][0]
            rules = {r["id"] for r in run["tool"]["driver"]["rules"]}
            assert run["results"] and all(r["ruleId"] in rules and r["locations"][0]["physicalLocation"]["artifactLocation"]["uri"] for r in run["results"])
            assert all("security-severity" in r["properties"] for r in run["tool"]["driver"]["rules"])
            print("valid")
            """], input: sarif.output)
        #expect(check.output == "valid\n", "\(check.errors)")
        let bom = try scan([root, "--format", "cyclonedx"])
        let validator = Repository.root.appending(path: "Tests/InventoryTests/Oracles/validate_cyclonedx.py").path
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["python3", validator], input: bom.output)
        #expect(result.output == "valid\n", "\(result.errors)")
        let document = try #require(try JSONSerialization.jsonObject(with: Data(bom.output.utf8)) as? [String: Any])
        let vulnerabilities = document["vulnerabilities"] as? [[String: Any]] ?? []
        #expect(vulnerabilities.contains { $0["id"] as? String == "CVE-2022-37434" })
        #expect(vulnerabilities.allSatisfy { !(($0["affects"] as? [Any]) ?? []).isEmpty })
    }

    @Test func badInputIsExitTwo() throws {
        let missing = try scan(["/nonexistent/root"])
        #expect(missing.status == 2)
        #expect(missing.errors.contains("/nonexistent/root: no such file or directory"))
        let noDatabase = try VersionsCommandTests.run(["scan", "--data-dir", "/nonexistent/data", "/"])
        #expect(noDatabase.status == 2)
        #expect(noDatabase.errors.contains("no advisory database"))
    }
}
