import Foundation
import Testing
import TestSupport

/// `vigil db` through the real executable.
struct DatabaseCommandTests {
    static let osv = Repository.sharedData.appending(path: "osv")

    @Test(.timeLimit(.minutes(2)))
    func importStatusShowSearch() throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data").path
        let imported = try VersionsCommandTests.run([
            "db", "import", "--data-dir", data, "--json",
            Self.osv.appending(path: "npm/all.zip").path, Self.osv.appending(path: "Maven/all.zip").path,
            Repository.sharedData.appending(path: "kev/known_exploited_vulnerabilities.json").path,
        ])
        #expect(imported.status == 0, "\(imported.errors)")
        let report = try JSONSerialization.jsonObject(with: Data(imported.output.utf8)) as? [String: Any]
        #expect(report?["records"] as? Int == 30)
        #expect(report?["kevEntries"] as? Int == 1404)

        let status = try VersionsCommandTests.run(["db", "status", "--data-dir", data])
        #expect(status.status == 0)
        #expect(status.output.contains("advisories: 30"))
        #expect(status.output.contains("KEV entries: 1404"))

        let show = try VersionsCommandTests.run(["db", "show", "--data-dir", data, "CVE-2021-44228"])
        #expect(show.status == 0)
        #expect(show.output.contains("GHSA-jfh8-c2jp-5v3q"))
        #expect(show.output.contains("CVSS_V3: 10.0 CRITICAL"))
        #expect(show.output.contains("KEV: CVE-2021-44228 added 2021-12-10"))

        let search = try VersionsCommandTests.run(["db", "search", "--data-dir", data, "Maven", "org.apache.logging.log4j:log4j-core"])
        #expect(search.status == 0)
        #expect(search.output.contains("GHSA-jfh8-c2jp-5v3q  Maven org.apache.logging.log4j:log4j-core  ECOSYSTEM: >=2.13.0 <2.15.0"))

        let missing = try VersionsCommandTests.run(["db", "show", "--data-dir", data, "GHSA-0000-0000-0000"])
        #expect(missing.status == 1)
        #expect(missing.errors.contains("no advisory 'GHSA-0000-0000-0000'"))
    }

    @Test func theDataDirectoryComesFromTheEnvironment() throws {
        let scratch = try ScratchDirectory()
        let result = try Subprocess.run(VersionsCommandTests.vigil, ["db", "import", Self.osv.appending(path: "NuGet/all.zip").path],
                                        environment: ["VIGIL_DATA_DIR": scratch.path("env-data").path])
        #expect(result.status == 0)
        #expect(FileManager.default.fileExists(atPath: scratch.path("env-data/advisories.sqlite").path))
    }

    @Test func badInputFailsWithItsNameAndChangesNothing() throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data").path
        try Data("{\"not\": \"advisory data\"".utf8).write(to: scratch.path("broken.json"))
        let noDatabase = try VersionsCommandTests.run(["db", "status", "--data-dir", data])
        #expect(noDatabase.status != 0)
        #expect(noDatabase.errors.contains("no advisory database"))
        let bad = try VersionsCommandTests.run(["db", "import", "--data-dir", data, scratch.path("nope.zip").path])
        #expect(bad.status != 0)
        #expect(bad.errors.contains("nope.zip: no such file or directory"))
        #expect(!FileManager.default.fileExists(atPath: scratch.path("data/advisories.sqlite").path))
        // A record that is not JSON is reported and skipped, not fatal.
        let skipped = try VersionsCommandTests.run(["db", "import", "--data-dir", data, scratch.path("broken.json").path])
        #expect(skipped.status == 0)
        #expect(skipped.errors.contains("broken.json: malformed OSV record: not valid JSON"))
    }

    @Test func cvssScoresVersion4() throws {
        let result = try VersionsCommandTests.run(["cvss", "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"])
        #expect(result.output == "9.3 CRITICAL\n")
    }
}
