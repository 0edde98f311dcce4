import Advisories
import GRDB
import Foundation

/// `vigil db update`: OSV from a bucket laid out like OSV's public one, plus KEV and EPSS.
///
/// The first update of an ecosystem loads `BASE/<Ecosystem>/all.zip`; later ones read
/// `BASE/<Ecosystem>/modified_id.csv` and fetch only `BASE/<Ecosystem>/<ID>.json` for records modified
/// since the newest one already imported. Everything goes into one new database version, swapped in
/// only when every download and import succeeded.
public struct AdvisoryUpdater: Sendable {
    /// OSV's public bucket.
    public static let defaultOSVBase = URL(string: "https://osv-vulnerabilities.storage.googleapis.com")
    /// CISA's KEV catalog.
    public static let defaultKEV = URL(string: "https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities.json")
    /// FIRST's daily EPSS scores.
    public static let defaultEPSS = URL(string: "https://epss.empiricalsecurity.com/epss_scores-current.csv.gz")

    public var osvBase: URL
    /// Ecosystems to keep current; nil reads `BASE/ecosystems.txt`.
    public var ecosystems: [String]?
    /// nil skips the feed.
    public var kev: URL?
    public var epss: URL?
    public var downloader: Downloader

    public init(osvBase: URL, ecosystems: [String]?, kev: URL?, epss: URL?, downloader: Downloader = Downloader()) {
        self.osvBase = osvBase
        self.ecosystems = ecosystems
        self.kev = kev
        self.epss = epss
        self.downloader = downloader
    }

    /// Runs the update into `dataDirectory`.
    /// - Parameter progress: called with a line of text per step.
    public func run(dataDirectory: URL, progress: @escaping @Sendable (String) -> Void = { _ in }) async throws -> ImportReport {
        let importer = try AdvisoryImporter(dataDirectory: dataDirectory) { source, n in progress("\(source): \(n) records") }
        do {
            let names: [String]
            if let ecosystems {
                names = ecosystems
            } else {
                let list = try await downloader.fetch(osvBase.appending(path: "ecosystems.txt"))
                names = String(decoding: list, as: UTF8.self).split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            }
            for name in names { try await updateEcosystem(name, importer: importer, progress: progress) }
            if let kev { try await importer.importInput(kev.absoluteString) }
            if let epss { try await importer.importInput(epss.absoluteString) }
            return try importer.finish()
        } catch {
            importer.abandon()
            throw error
        }
    }

    private func updateEcosystem(_ name: String, importer: AdvisoryImporter, progress: @Sendable (String) -> Void) async throws {
        let folder = osvBase.appending(path: name)
        let feed = "osv:\(name)"
        let builder = importer.databaseBuilder
        guard let cursor = try builder.cursor(of: feed), let since = OSVTimestamp.parse(cursor) else {
            progress("\(name): full load from \(folder.appending(path: "all.zip").absoluteString)")
            let zip = try await downloader.fetch(folder.appending(path: "all.zip"))
            _ = try importer.importZipData(zip, source: folder.appending(path: "all.zip").absoluteString, feedName: feed)
            return
        }
        let index = try await downloader.fetch(folder.appending(path: "modified_id.csv"))
        var changed: [String] = []
        for line in String(decoding: index, as: UTF8.self).split(whereSeparator: \.isNewline) {
            let fields = line.split(separator: ",", maxSplits: 1)
            guard fields.count == 2, let modified = OSVTimestamp.parse(String(fields[0])) else { continue }
            if modified > since { changed.append(fields[1].trimmingCharacters(in: .whitespaces)) }
        }
        progress("\(name): \(changed.count) records changed since \(cursor)")
        var newest: String? = cursor
        for id in changed {
            let url = folder.appending(path: "\(id).json")
            let data = try await downloader.fetch(url)
            newest = later(newest, try importer.importRecordData(data, source: url.absoluteString))
        }
        try builder.write { db in
            let total = try Int.fetchOne(db, sql: "SELECT COUNT(DISTINCT advisory_id) FROM affected WHERE ecosystem = ? OR ecosystem LIKE ?", arguments: [name, name + ":%"]) ?? 0
            try builder.setFeed(feed, location: folder.absoluteString, records: total, version: nil, cursor: newest, in: db)
        }
    }
}
