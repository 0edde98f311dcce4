import Advisories
import Foundation
import GRDB
import VigilCore
#if canImport(Glibc)
import Glibc
#endif

/// Writes a new version of the advisory database beside the live one and swaps it in atomically
/// with `rename(2)`, so readers never see a half-built database and a failed update leaves the
/// previous one untouched. One builder at a time per data directory (an exclusive `flock`).
public final class AdvisoryDatabaseBuilder {
    /// `DATA_DIR/advisories.sqlite`.
    public let livePath: String
    private let scratchPath: String
    private let lockDescriptor: Int32
    private var queue: DatabaseQueue?
    /// Ids written by this builder when it started from an empty database: any other id is new, so
    /// the stored-copy check (one query per record) can be skipped during a first full load.
    private var startedEmpty = false
    private var written = Set<String>()

    /// Starts a new version from the live database (or an empty one).
    /// - Throws: `AdvisoryStoreError.busy` when another update holds the lock.
    public init(dataDirectory: URL) throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        livePath = dataDirectory.appending(path: AdvisoryDatabase.fileName).path
        scratchPath = livePath + ".building-\(UUID().uuidString)"
        let lockPath = dataDirectory.appending(path: "advisories.lock").path
        lockDescriptor = open(lockPath, O_CREAT | O_RDWR, 0o644)
        guard lockDescriptor >= 0 else { throw AdvisoryStoreError.database("cannot open \(lockPath)") }
        guard flock(lockDescriptor, LOCK_EX | LOCK_NB) == 0 else {
            close(lockDescriptor)
            throw AdvisoryStoreError.busy(path: livePath)
        }
        do {
            if FileManager.default.fileExists(atPath: livePath) {
                try FileManager.default.copyItem(atPath: livePath, toPath: scratchPath)
            } else {
                startedEmpty = true
            }
            var configuration = Configuration()
            configuration.prepareDatabase { db in
                // A scratch file: durability comes from the final rename, not from the journal.
                try db.execute(sql: "PRAGMA journal_mode = OFF; PRAGMA synchronous = OFF; PRAGMA cache_size = -65536; PRAGMA temp_store = MEMORY")
            }
            let queue = try DatabaseQueue(path: scratchPath, configuration: configuration)
            try Schema.migrator.migrate(queue)
            self.queue = queue
        } catch {
            discard()
            throw error
        }
    }

    deinit { discard() }

    /// Runs `body` in one transaction on the new version.
    public func write<T>(_ body: (Database) throws -> T) throws -> T {
        guard let queue else { throw AdvisoryStoreError.database("the update was already finished") }
        return try queue.write(body)
    }

    /// Swaps the new version in.
    public func commit() throws {
        guard let queue else { throw AdvisoryStoreError.database("the update was already finished") }
        try queue.writeWithoutTransaction { db in try db.execute(sql: "PRAGMA optimize") }
        try queue.close()
        self.queue = nil
        let file = open(scratchPath, O_RDONLY)
        if file >= 0 { fsync(file); close(file) }
        guard rename(scratchPath, livePath) == 0 else {
            discard()
            throw AdvisoryStoreError.database("cannot replace \(livePath): \(String(cString: strerror(errno)))")
        }
        releaseLock()
    }

    /// Abandons the new version; the live database is unchanged.
    public func discard() {
        if let queue { try? queue.close() }
        queue = nil
        try? FileManager.default.removeItem(atPath: scratchPath)
        releaseLock()
    }

    private var locked = true
    private func releaseLock() {
        guard locked else { return }
        locked = false
        flock(lockDescriptor, LOCK_UN)
        close(lockDescriptor)
    }

    // MARK: Writes

    /// Inserts or replaces one OSV record. An older copy of a record already stored is ignored.
    /// - Returns: false when the stored copy is newer.
    @discardableResult
    public func upsert(_ record: OSVRecord, raw: Data, source: String, in db: Database) throws -> Bool {
        let modified = OSVTimestamp.parse(record.modified) ?? 0
        let mayBeStored = !startedEmpty || !written.insert(record.id).inserted
        if mayBeStored, let stored = try Double.fetchOne(db.cachedStatement(sql: "SELECT modified_epoch FROM advisory WHERE id = ?"), arguments: [record.id]) {
            if stored > modified { return false }
            try db.cachedStatement(sql: "DELETE FROM affected WHERE advisory_id = ?").execute(arguments: [record.id])
            try db.cachedStatement(sql: "DELETE FROM alias WHERE advisory_id = ?").execute(arguments: [record.id])
        }
        try db.cachedStatement(sql: """
            INSERT OR REPLACE INTO advisory (id, modified, modified_epoch, published, withdrawn, summary, source, record)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """).execute(arguments: [record.id, record.modified, modified, record.published, record.withdrawn,
                                     record.summary, source, String(decoding: raw, as: UTF8.self)])
        let aliasStatement = try db.cachedStatement(sql: "INSERT INTO alias (advisory_id, alias, kind) VALUES (?, ?, ?)")
        for (kind, ids) in [("alias", record.aliases), ("related", record.related), ("upstream", record.upstream)] {
            for alias in ids ?? [] { try aliasStatement.execute(arguments: [record.id, alias, kind]) }
        }
        // Withdrawn records stay readable (`db show`) but stop matching.
        guard record.withdrawn == nil else { return true }
        let affectedStatement = try db.cachedStatement(sql: """
            INSERT INTO affected (advisory_id, ecosystem, family, name, purl, versions, ecosystem_specific, database_specific)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for entry in record.affected ?? [] {
            guard let package = entry.package else { continue }
            let ecosystem = Ecosystem(package.ecosystem)
            try affectedStatement.execute(arguments: [
                record.id, package.ecosystem, ecosystem.name,
                PackageName.normalized(package.name, ecosystem: ecosystem), package.purl,
                StoredVersions.encode(entry.affectedVersions),
                entry.ecosystemSpecific?.jsonText, entry.databaseSpecific?.jsonText,
            ])
        }
        return true
    }

    /// Replaces the KEV table with `catalog`.
    public func replaceKEV(_ catalog: KEVCatalog, location: String, in db: Database) throws {
        try db.execute(sql: "DELETE FROM kev")
        let statement = try db.makeStatement(sql: """
            INSERT OR REPLACE INTO kev (cve, vendor, product, name, date_added, due_date, ransomware, required_action, description, notes)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            """)
        for e in catalog.vulnerabilities {
            try statement.execute(arguments: [e.cveID, e.vendorProject, e.product, e.vulnerabilityName, e.dateAdded, e.dueDate,
                                              e.knownRansomwareCampaignUse, e.requiredAction, e.shortDescription, e.notes])
        }
        try setFeed("kev", location: location, records: catalog.vulnerabilities.count,
                     version: catalog.catalogVersion + (catalog.dateReleased.map { " (\($0))" } ?? ""), cursor: nil, in: db)
    }

    /// Replaces the EPSS table with `scores`.
    public func replaceEPSS(_ scores: EPSSScores, location: String, in db: Database) throws {
        try db.execute(sql: "DELETE FROM epss")
        let statement = try db.makeStatement(sql: "INSERT OR REPLACE INTO epss (cve, probability, percentile) VALUES (?, ?, ?)")
        for s in scores.scores { try statement.execute(arguments: [s.cve, s.probability, s.percentile]) }
        let version = [scores.modelVersion.map { "model \($0)" }, scores.scoreDate.map { "scores of \($0)" }].compactMap { $0 }.joined(separator: ", ")
        try setFeed("epss", location: location, records: scores.scores.count, version: version, cursor: nil, in: db)
    }

    /// Records where a feed's data came from and, for incremental OSV updates, how far it got.
    public func setFeed(_ name: String, location: String, records: Int, version: String?, cursor: String?, in db: Database) throws {
        let now = Date.ISO8601FormatStyle().format(Date())
        try db.execute(sql: """
            INSERT OR REPLACE INTO feed (name, location, records, updated_at, version, cursor) VALUES (?, ?, ?, ?, ?, ?)
            """, arguments: [name, location, records, now, version, cursor])
    }

    /// The incremental cursor of a feed (the newest `modified` imported), if any.
    public func cursor(of feed: String) throws -> String? {
        try write { db in try String.fetchOne(db, sql: "SELECT cursor FROM feed WHERE name = ?", arguments: [feed]) }
    }
}
