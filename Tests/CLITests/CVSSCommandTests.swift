import Testing

/// `vigil cvss` through the real executable.
struct CVSSCommandTests {
    @Test func scoresVectorsGivenAsArguments() throws {
        let result = try VersionsCommandTests.run(["cvss", "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", "AV:N/AC:L/Au:N/C:P/I:P/A:P"])
        #expect(result.status == 0)
        #expect(result.output == "9.8 CRITICAL\n7.5 HIGH\n")
    }

    @Test func batchReportsBadLinesAndExitsTwo() throws {
        let result = try VersionsCommandTests.run(["cvss", "--batch"], input: "CVSS:3.0/AV:N/AC:L/PR:N/UI:R/S:U/C:L/I:N/A:N\nnot a vector\n")
        #expect(result.status == 2)
        #expect(result.output == "4.3 MEDIUM\n!\n")
        #expect(result.errors.contains("line 2: invalid CVSS vector 'not a vector'"))
    }
}
