import Advisories
import AdvisoryStore
import Foundation
import Testing
import TestSupport
import VigilCore

/// `vigil db update` against a local HTTP server laid out like OSV's bucket, built from the snapshot.
struct UpdateTests {
    /// A mirror of two ecosystems: all.zip, modified_id.csv and one <ID>.json per record, plus KEV and EPSS.
    static func makeMirror(in root: URL, ecosystems: [String]) throws {
        try LocalHTTPServer.makeAdvisoryMirror(in: root, ecosystems: ecosystems)
    }

    @Test(.timeLimit(.minutes(6)))  // a guard against hangs: the suite shares 2 cores with the server tests
    func fullLoadThenOnlyWhatChanged() async throws {
        let scratch = try ScratchDirectory()
        let mirror = scratch.path("mirror")
        try Self.makeMirror(in: mirror, ecosystems: ["npm", "crates.io"])
        let server = try LocalHTTPServer(serving: mirror)
        defer { server.stop() }
        let data = scratch.path("data")
        let updater = AdvisoryUpdater(
            osvBase: server.baseURL, ecosystems: nil,
            kev: server.baseURL.appending(path: "kev.json"), epss: server.baseURL.appending(path: "epss.csv.gz")
        )

        let first = try await updater.run(dataDirectory: data)
        #expect(first.records == 16 + 1206)
        #expect(first.kevEntries == 1404)
        #expect(first.epssScores == 3220)
        let db = try AdvisoryDatabase(dataDirectory: data)
        #expect(try db.status().feeds.map(\.name).sorted() == ["epss", "kev", "osv:crates.io", "osv:npm"])

        // Nothing changed upstream: nothing is fetched or stored.
        let idle = try await updater.run(dataDirectory: data)
        #expect(idle.records == 0)

        // One record changes: a newer `modified`, a new fixed version, listed first in modified_id.csv.
        let id = "GHSA-29mw-wpgm-hmr9"
        let recordURL = mirror.appending(path: "npm/\(id).json")
        var json = try String(contentsOf: recordURL, encoding: .utf8)
        let oldModified = try #require(json.firstMatch(of: /"modified": *"([^"]+)"/)?.1)
        json = json.replacingOccurrences(of: String(oldModified), with: "2026-11-01T00:00:00Z")
            .replacingOccurrences(of: "\"4.17.21\"", with: "\"4.17.99\"")
        try json.write(to: recordURL, atomically: true, encoding: .utf8)
        let index = mirror.appending(path: "npm/modified_id.csv")
        let csv = try String(contentsOf: index, encoding: .utf8)
        try ("2026-11-01T00:00:00Z,\(id)\n" + csv).write(to: index, atomically: true, encoding: .utf8)
        // A record that did not change is removed from the mirror: fetching it would fail the update.
        try FileManager.default.removeItem(at: mirror.appending(path: "npm/all.zip"))

        let incremental = try await updater.run(dataDirectory: data)
        #expect(incremental.records == 1)
        let lodash = try AdvisoryDatabase(dataDirectory: data).affected(ecosystem: .npm, name: "lodash")
        let changed = try #require(lodash.first { $0.advisoryID == id })
        #expect(changed.versions.ranges.first?.events.contains(.fixed("4.17.99")) == true)
        let feed = try #require(try AdvisoryDatabase(dataDirectory: data).status().feeds.first { $0.name == "osv:npm" })
        #expect(feed.cursor == "2026-11-01T00:00:00Z")
    }

    @Test(.timeLimit(.minutes(2)))
    func anUnreachableMirrorFailsAndLeavesTheDatabaseUntouched() async throws {
        let scratch = try ScratchDirectory()
        let mirror = scratch.path("mirror")
        try Self.makeMirror(in: mirror, ecosystems: ["npm"])
        let data = scratch.path("data")
        let before: Data
        do {
            let server = try LocalHTTPServer(serving: mirror)
            defer { server.stop() }
            _ = try await AdvisoryUpdater(osvBase: server.baseURL, ecosystems: ["npm"], kev: nil, epss: nil).run(dataDirectory: data)
            before = try Data(contentsOf: data.appending(path: AdvisoryDatabase.fileName))
            // A missing file on a live server is an error too.
            await #expect(throws: AdvisoryStoreError.self) {
                _ = try await AdvisoryUpdater(osvBase: server.baseURL, ecosystems: ["NoSuchEcosystem"], kev: nil, epss: nil).run(dataDirectory: data)
            }
        }
        // The server is gone now: connection refused.
        let closed = try #require(URL(string: "http://127.0.0.1:9"))
        do {
            _ = try await AdvisoryUpdater(osvBase: closed, ecosystems: ["npm"], kev: nil, epss: nil).run(dataDirectory: data)
            Issue.record("the update succeeded without a server")
        } catch {
            #expect("\(error)".contains("127.0.0.1:9"))
        }
        #expect(try Data(contentsOf: data.appending(path: AdvisoryDatabase.fileName)) == before)
    }
}
