import Advisories
import AdvisoryStore
import Foundation
import Testing
import TestSupport
import Versions
import VigilCore

/// Imports of the real data in ../shared/data and of hostile inputs.
struct ImportTests {
    static let osv = Repository.sharedData.appending(path: "osv")

    static func importAll(_ inputs: [String], into directory: URL) async throws -> ImportReport {
        let importer = try AdvisoryImporter(dataDirectory: directory)
        do {
            for input in inputs { try await importer.importInput(input) }
            return try importer.finish()
        } catch {
            importer.abandon()
            throw error
        }
    }

    /// The whole snapshot, KEV and EPSS, then known records checked end to end.
    @Test(.timeLimit(.minutes(5)))
    func realCorpusEndToEnd() async throws {
        let scratch = try ScratchDirectory()
        let ecosystems = try String(contentsOf: Self.osv.appending(path: "ecosystems.txt"), encoding: .utf8)
            .split(whereSeparator: \.isNewline).map(String.init)
        let inputs = ecosystems.map { Self.osv.appending(path: "\($0)/all.zip").path } + [
            Repository.sharedData.appending(path: "kev/known_exploited_vulnerabilities.json").path,
            Repository.sharedData.appending(path: "epss/epss_scores-sample.csv.gz").path,
        ]
        let report = try await Self.importAll(inputs, into: scratch.url)
        #expect(report.malformed.isEmpty, "\(report.malformed.prefix(5))")
        #expect(report.kevEntries == 1404)
        #expect(report.epssScores == 3220)

        let db = try AdvisoryDatabase(dataDirectory: scratch.url)
        let status = try db.status()
        // Record counts from ../shared/data/README.md; AlmaLinux has one id twice upstream (newest kept).
        #expect(status.ecosystems["Debian"] == 8197)
        #expect(status.ecosystems["Alpine"] == 2442)
        #expect(status.ecosystems["AlmaLinux"] == 5637)
        #expect(status.ecosystems["Ubuntu"] == 21)
        #expect(status.advisories >= 24_000)

        // Debian DSA: source package, release-specific ecosystem, CVE in `related`, KEV joined through it.
        let log4j = try db.advisories(id: "CVE-2021-44228")
        let ids = log4j.map(\.record.id)
        #expect(ids.contains("DSA-5020-1") && ids.contains("GHSA-jfh8-c2jp-5v3q"))
        let dsa = try #require(log4j.first { $0.record.id == "DSA-5020-1" })
        #expect(dsa.kev.first?.knownRansomwareCampaignUse == "Known")
        #expect(dsa.kev.first?.dateAdded == "2021-12-10")
        let ghsa = try #require(log4j.first { $0.record.id == "GHSA-jfh8-c2jp-5v3q" })
        let vector = try #require(ghsa.record.severity?.first { $0.type == "CVSS_V3" }?.score)
        #expect(try CVSSScore(vector: vector).baseScore == 10.0)

        // The matcher's question, per release and across releases.
        let openssl11 = try db.affected(ecosystem: Ecosystem("Debian:11"), name: "openssl")
        #expect(openssl11.contains { $0.advisoryID == "DSA-5343-1" })
        #expect(openssl11.allSatisfy { $0.ecosystem == "Debian:11" })
        let dsa5343 = try #require(openssl11.first { $0.advisoryID == "DSA-5343-1" })
        #expect(try VersionScheme.dpkg.evaluate("1.1.1n-0+deb11u3", against: dsa5343.versions).isAffected)
        #expect(try !VersionScheme.dpkg.evaluate("1.1.1n-0+deb11u4", against: dsa5343.versions).isAffected)
        #expect(try db.affected(ecosystem: Ecosystem("Debian"), name: "openssl").count > openssl11.count)

        // Names are normalised as each ecosystem does: PEP 503 for PyPI, case kept for npm.
        let django = try db.affected(ecosystem: .pypi, name: "Django")
        #expect(!django.isEmpty)
        #expect(try db.affected(ecosystem: .pypi, name: "DJANGO").count == django.count)
        #expect(try db.affected(ecosystem: .pypi, name: "jinja2").count == (try db.affected(ecosystem: .pypi, name: "Jinja2")).count)

        // EPSS joined through aliases.
        let epssCVE = try #require(try Self.firstOSVCVEWithEPSS(db))
        #expect(epssCVE.epss.first.map { (0...1).contains($0.probability) } == true)

        // Withdrawn records are kept for `show` but never match.
        let withdrawn = try #require(try Self.someWithdrawnID())
        let shown = try db.advisories(id: withdrawn)
        #expect(shown.first?.record.withdrawn != nil)
        for entry in shown.first?.record.affected ?? [] {
            guard let package = entry.package else { continue }
            let rows = try db.affected(ecosystem: Ecosystem(package.ecosystem), name: package.name)
            #expect(!rows.contains { $0.advisoryID == withdrawn })
        }
    }

    static func firstOSVCVEWithEPSS(_ db: AdvisoryDatabase) throws -> AdvisoryDatabase.Advisory? {
        let csv = try String(contentsOf: Repository.sharedData.appending(path: "epss/epss_scores-sample.csv"), encoding: .utf8)
        for line in csv.split(separator: "\n").dropFirst(2).prefix(3000) {
            let cve = String(line.split(separator: ",")[0])
            if let hit = try db.advisories(id: cve).first(where: { !$0.epss.isEmpty }) { return hit }
        }
        return nil
    }

    static func someWithdrawnID() throws -> String? {
        let lines = try Subprocess.lines(["python3", "-c", """
            import json, sys, zipfile
            z = zipfile.ZipFile(sys.argv[1])
            for n in z.namelist():
                r = json.loads(z.read(n))
                if r.get("withdrawn") and r.get("affected"):
                    print(r["id"]); break
            """, Self.osv.appending(path: "Go/all.zip").path])
        return lines.first
    }

    @Test func malformedRecordsAreReportedAndSkipped() async throws {
        let scratch = try ScratchDirectory()
        let records = scratch.path("records")
        try FileManager.default.createDirectory(at: records, withIntermediateDirectories: true)
        let good = #"{"id": "TEST-1", "modified": "2024-01-01T00:00:00Z", "affected": [{"package": {"ecosystem": "PyPI", "name": "Some_Package"}, "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "1.2"}]}]}]}"#
        try Data(good.utf8).write(to: records.appending(path: "good.json"))
        try Data(#"{"id": "TEST-2", "modified": "yesterday"}"#.utf8).write(to: records.appending(path: "bad-date.json"))
        try Data(#"{"modified": "2024-01-01T00:00:00Z"}"#.utf8).write(to: records.appending(path: "no-id.json"))
        try Data(#"{"id": "TEST-3", "modif"#.utf8).write(to: records.appending(path: "truncated.json"))
        let report = try await Self.importAll([records.path], into: scratch.path("data"))
        #expect(report.records == 1)
        #expect(report.malformed.count == 3)
        #expect(report.malformed.contains { $0.contains("bad-date.json") && $0.contains("'modified' is not an RFC 3339 timestamp") })
        #expect(report.malformed.contains { $0.contains("no-id.json") && $0.contains("missing 'id'") })
        #expect(report.malformed.contains { $0.contains("truncated.json") && $0.contains("not valid JSON") })
        let db = try AdvisoryDatabase(dataDirectory: scratch.path("data"))
        #expect(try db.affected(ecosystem: .pypi, name: "some-package").map(\.advisoryID) == ["TEST-1"])
    }

    @Test(.timeLimit(.minutes(3)))  // a guard against hangs: the suite shares 2 cores with the server tests
    func aBrokenInputLeavesThePreviousDatabaseUntouched() async throws {
        let scratch = try ScratchDirectory()
        let data = scratch.path("data")
        _ = try await Self.importAll([Self.osv.appending(path: "npm/all.zip").path], into: data)
        let live = data.appending(path: AdvisoryDatabase.fileName)
        let before = try Data(contentsOf: live)

        let zip = try Data(contentsOf: Self.osv.appending(path: "crates.io/all.zip"))
        try zip.prefix(zip.count / 2).write(to: scratch.path("truncated.zip"))
        try Data("hello, world\n".utf8).write(to: scratch.path("unknown.txt"))
        for input in [Self.osv.appending(path: "PyPI/all.zip").path + "-missing", scratch.path("truncated.zip").path,
                      scratch.path("unknown.txt").path, "http://127.0.0.1:9/all.zip"] {
            await #expect(throws: (any Error).self, "\(input) should fail") {
                // Good data first: it must not land either.
                _ = try await Self.importAll([Self.osv.appending(path: "Maven/all.zip").path, input], into: data)
            }
        }
        #expect(try Data(contentsOf: live) == before)
        let leftovers = try FileManager.default.contentsOfDirectory(atPath: data.path).filter { $0.contains(".building-") || $0.contains(".download-") }
        #expect(leftovers.isEmpty)
        #expect(try AdvisoryDatabase(dataDirectory: data).status().ecosystems["Maven"] == nil)
    }

    @Test func olderCopiesDoNotReplaceNewerOnes() async throws {
        let scratch = try ScratchDirectory()
        func record(_ modified: String, fixed: String) throws -> String {
            let path = scratch.path("r-\(modified).json")
            try Data(#"{"id": "TEST-9", "modified": "\#(modified)", "affected": [{"package": {"ecosystem": "npm", "name": "x"}, "ranges": [{"type": "SEMVER", "events": [{"introduced": "0"}, {"fixed": "\#(fixed)"}]}]}]}"#.utf8).write(to: path)
            return path.path
        }
        let newer = try record("2024-02-01T00:00:00Z", fixed: "2.0.0")
        let older = try record("2024-01-01T00:00:00Z", fixed: "1.0.0")
        let report = try await Self.importAll([newer, older], into: scratch.path("data"))
        #expect(report.records == 1)
        #expect(report.unchanged == 1)
        let entry = try #require(try AdvisoryDatabase(dataDirectory: scratch.path("data")).affected(ecosystem: .npm, name: "x").first)
        #expect(entry.versions.ranges.first?.events.contains(.fixed("2.0.0")) == true)
    }

    @Test func aSecondWriterIsRefused() throws {
        let scratch = try ScratchDirectory()
        let first = try AdvisoryDatabaseBuilder(dataDirectory: scratch.url)
        #expect(throws: AdvisoryStoreError.self) { try AdvisoryDatabaseBuilder(dataDirectory: scratch.url) }
        first.discard()
        _ = try AdvisoryDatabaseBuilder(dataDirectory: scratch.url)
    }
}
