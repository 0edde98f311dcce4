import Foundation
import Testing
import TestSupport

/// The findings API through boto3 and the AWS CLI against a running `vigil serve`: filters, sorts,
/// pages, aggregations, suppression rules and details over a generated population
/// (`Oracles/drive_findings.py`, checked against a naive evaluation); vulnerability search and
/// inspector-scan's ScanSbom over real advisories.
@Suite(.serialized) struct FindingsAPITests {
    @Test(.timeLimit(.minutes(8)))
    func findingsAPIAgainstNaiveEvaluation() throws {
        let data = try ScratchDirectory()
        let populate = try Subprocess.run(ServeProcess.vigil, ["bench", "populate", "--data-dir", data.url.path, "--findings", "1500",
                                                               "--accounts", "\(ServeProcess.account),444455556666,777788889999"])
        #expect(populate.status == 0, "\(populate.errors)")
        let server = try ServeProcess(data: data)
        let (otherKey, otherSecret) = try server.createKey(account: "444455556666", policy: "full")
        let script = Repository.root.appending(path: "Tests/APITests/Oracles/drive_findings.py").path
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", script, server.endpoint, ServeProcess.key, ServeProcess.secret, ServeProcess.account,
            otherKey, otherSecret, "444455556666", ServeProcess.vigil.path, data.url.path,
        ])
        let passed = result.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }
        #expect(result.status == 0, "\(result.output.split(separator: "\n").filter { $0.hasPrefix("FAIL") }.joined(separator: "\n"))\(result.errors)")
        #expect(!result.output.contains("FAIL"))
        // Every filter key two ways, 17 sort fields both ways, 12 aggregation types with each sort.
        #expect(passed.count >= 250, "\(passed.count) checks passed")
        server.stop()
    }

    /// `vigil sbom` of a Debian 11 root with vulnerable openssl and zlib, scanned with `aws
    /// inspector-scan scan-sbom` in both output formats; the same vulnerabilities looked up with
    /// SearchVulnerabilities.
    @Test(.timeLimit(.minutes(6)))
    func scanSbomAndSearchVulnerabilities() throws {
        let data = try ScratchDirectory()
        try ContinuousScanningTests.importAdvisories(data, ["Debian"])
        let scratch = try ScratchDirectory()
        try ContinuousScanningTests.debianRoot(scratch.path("root"), [ContinuousScanningTests.openssl, ContinuousScanningTests.zlib])
        let bom = scratch.path("bom.json").path
        let sbom = try Subprocess.run(ServeProcess.vigil, ["sbom", scratch.path("root").path, "--format", "cyclonedx", "-o", bom])
        #expect(sbom.status == 0, "\(sbom.errors)")
        let server = try ServeProcess(data: data)
        func aws(_ arguments: [String]) throws -> [String: Any] {
            let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["aws", "--endpoint-url", server.endpoint, "--output", "json"] + arguments,
                                            environment: ContinuousScanningTests.environment)
            guard result.status == 0 else { throw Subprocess.Failure(description: "aws \(arguments): \(result.errors)") }
            return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        }
        // CycloneDX 1.5 out: the SBOM's components, the vulnerabilities pointing at them, Inspector's properties.
        let cyclone = try #require(try aws(["inspector-scan", "scan-sbom", "--sbom", "file://\(bom)"])["sbom"] as? [String: Any])
        #expect(cyclone["specVersion"] as? String == "1.5" && cyclone["bomFormat"] as? String == "CycloneDX")
        let vulnerabilities = cyclone["vulnerabilities"] as? [[String: Any]] ?? []
        let ids = Set(vulnerabilities.compactMap { $0["id"] as? String })
        #expect(ids.isSuperset(of: ["CVE-2023-0286", "CVE-2022-37434"]), "\(ids)")
        let refs = Set((cyclone["components"] as? [[String: Any]] ?? []).compactMap { $0["bom-ref"] as? String })
        let affected = vulnerabilities.flatMap { ($0["affects"] as? [[String: Any]] ?? []).compactMap { $0["ref"] as? String } }
        #expect(!affected.isEmpty && affected.allSatisfy(refs.contains), "\(affected)")
        let zlib = try #require(vulnerabilities.first { $0["id"] as? String == "CVE-2022-37434" })
        let properties = (zlib["properties"] as? [[String: String]] ?? []).reduce(into: [String: String]()) { $0[$1["name"]!] = $1["value"] }
        #expect(properties.contains { $0.key.hasPrefix("amazon:inspector:sbom_scanner:fixed_version:") && $0.value == "1:1.2.11.dfsg-2+deb11u2" }, "\(properties)")
        let metadata = (cyclone["metadata"] as? [String: Any])?["properties"] as? [[String: String]] ?? []
        let total = metadata.filter { $0["name"]?.hasSuffix("_vulnerabilities") == true }.compactMap { Int($0["value"] ?? "") }.reduce(0, +)
        #expect(total == vulnerabilities.count, "\(metadata)")
        // INSPECTOR out: the same vulnerabilities in inspector2's terms.
        let inspector = try #require(try aws(["inspector-scan", "scan-sbom", "--sbom", "file://\(bom)", "--output-format", "INSPECTOR"])["sbom"] as? [String: Any])
        let listed = inspector["vulnerabilities"] as? [[String: Any]] ?? []
        #expect(Set(listed.compactMap { ($0["packageVulnerabilityDetails"] as? [String: Any])?["vulnerabilityId"] as? String }) == ids)
        #expect((inspector["vulnerability_count"] as? [String: Int])?.values.reduce(0, +) == listed.count)
        // Not CycloneDX: refused by name.
        let bad = scratch.path("bad.json").path
        try Data(#"{"spdxVersion": "SPDX-2.3"}"#.utf8).write(to: URL(fileURLWithPath: bad))
        let refused = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["aws", "--endpoint-url", server.endpoint, "inspector-scan", "scan-sbom", "--sbom", "file://\(bad)"],
                                         environment: ContinuousScanningTests.environment)
        #expect(refused.status != 0 && refused.errors.contains("ValidationException") && refused.errors.contains("CycloneDX"), "\(refused.errors)")
        // SearchVulnerabilities: the advisory data held for one id.
        let found = try aws(["inspector2", "search-vulnerabilities", "--filter-criteria", #"{"vulnerabilityIds": ["CVE-2022-37434"]}"#])
        let vulnerability = try #require((found["vulnerabilities"] as? [[String: Any]])?.first)
        #expect(vulnerability["id"] as? String == "CVE-2022-37434")
        #expect((vulnerability["detectionPlatforms"] as? [String])?.contains { $0.hasPrefix("Debian") } == true, "\(vulnerability)")
        #expect((vulnerability["referenceUrls"] as? [String])?.isEmpty == false && vulnerability["description"] != nil, "\(vulnerability)")
        let none = try aws(["inspector2", "search-vulnerabilities", "--filter-criteria", #"{"vulnerabilityIds": ["CVE-1999-0000"]}"#])
        #expect((none["vulnerabilities"] as? [Any])?.isEmpty == true)
        server.stop()
    }
}
