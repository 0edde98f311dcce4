import Advisories
import Foundation
import GRDB
import Versions
import VigilCore

/// Read access to the advisory database in a data directory.
public struct AdvisoryDatabase: Sendable {
    public static let fileName = "advisories.sqlite"

    /// One `affected[]` entry of an advisory, as the matcher needs it.
    public struct AffectedEntry: Hashable, Sendable {
        public var advisoryID: String
        /// The full OSV ecosystem, e.g. `Debian:12`.
        public var ecosystem: String
        public var name: String
        public var purl: String?
        public var versions: AffectedVersions
        /// `ecosystem_specific` and `database_specific` as JSON text; decoded only when asked for.
        public var ecosystemSpecificJSON: String?
        public var databaseSpecificJSON: String?

        public var ecosystemSpecific: JSONValue? { ecosystemSpecificJSON.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) } }
        public var databaseSpecific: JSONValue? { databaseSpecificJSON.flatMap { try? JSONDecoder().decode(JSONValue.self, from: Data($0.utf8)) } }
    }

    public struct KEVEntry: Hashable, Sendable, Codable {
        public var cve: String
        public var vendor: String?
        public var product: String?
        public var name: String?
        public var dateAdded: String
        public var dueDate: String?
        public var knownRansomwareCampaignUse: String?
        public var requiredAction: String?
    }

    public struct EPSSEntry: Hashable, Sendable, Codable {
        public var cve: String
        public var probability: Double
        public var percentile: Double
    }

    /// An advisory with the exploitation data joined through its CVE ids.
    public struct Advisory: Sendable {
        public var record: OSVRecord
        public var source: String
        public var kev: [KEVEntry]
        public var epss: [EPSSEntry]
    }

    public struct Feed: Hashable, Sendable, Codable {
        public var name: String
        public var location: String
        public var records: Int
        public var updatedAt: String
        public var version: String?
        public var cursor: String?
    }

    public struct Status: Sendable, Codable {
        public var path: String
        public var advisories: Int
        public var withdrawn: Int
        /// Advisories per ecosystem family.
        public var ecosystems: [String: Int]
        public var kevEntries: Int
        public var epssScores: Int
        public var feeds: [Feed]
    }

    private let queue: DatabaseQueue
    public let path: String

    /// Opens `DATA_DIR/advisories.sqlite` read-only.
    /// - Throws: `AdvisoryStoreError.noDatabase` when there is none yet.
    public init(dataDirectory: URL) throws {
        try self.init(path: dataDirectory.appending(path: Self.fileName).path)
    }

    /// Opens an advisory database file read-only.
    public init(path: String) throws {
        self.path = path
        guard FileManager.default.fileExists(atPath: path) else { throw AdvisoryStoreError.noDatabase(path: path) }
        var configuration = Configuration()
        configuration.readonly = true
        // Memory-mapped reads and a larger page cache: the matcher asks thousands of small questions.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA mmap_size = 1073741824")
            try db.execute(sql: "PRAGMA cache_size = -65536")
            // The file is only ever replaced whole (rename), never written in place: one shared
            // lock for the connection's life spares a lock call per question.
            try db.execute(sql: "PRAGMA locking_mode = EXCLUSIVE")
        }
        queue = try DatabaseQueue(path: path, configuration: configuration)
    }

    /// Every affected entry for a package: the matcher's question. `name` is normalised for the ecosystem.
    public func affected(ecosystem: Ecosystem, name: String) throws -> [AffectedEntry] {
        let key = PackageName.normalized(name, ecosystem: ecosystem)
        // One statement: no transaction needed (the file is only ever replaced whole, by rename).
        return try queue.unsafeRead { db in
            // "Debian:12" asks for Debian 12's advisories only; "Debian" for every release.
            let statement = try db.cachedStatement(sql: """
                SELECT advisory_id, ecosystem, name, purl, versions, ecosystem_specific, database_specific
                FROM affected WHERE family = ? AND name = ? AND (? IS NULL OR ecosystem = ?)
                """)
            let full: String? = ecosystem.release == nil ? nil : ecosystem.description
            var entries: [AffectedEntry] = []
            let rows = try Row.fetchCursor(statement, arguments: [ecosystem.name, key, full, full])
            while let row = try rows.next() {
                entries.append(AffectedEntry(
                    advisoryID: row[0], ecosystem: row[1], name: row[2], purl: row[3],
                    versions: StoredVersions.decode(row[4]),
                    ecosystemSpecificJSON: row[5], databaseSpecificJSON: row[6]
                ))
            }
            return entries
        }
    }

    /// Every affected entry of one ecosystem family, by stored (normalised) name: what a long-running
    /// matcher keeps in memory.
    public func allAffected(family: String) throws -> [String: [AffectedEntry]] {
        try queue.unsafeRead { db in
            var out: [String: [AffectedEntry]] = [:]
            let rows = try Row.fetchCursor(db, sql: """
                SELECT advisory_id, ecosystem, name, purl, versions, ecosystem_specific, database_specific
                FROM affected WHERE family = ?
                """, arguments: [family])
            while let row = try rows.next() {
                let entry = AffectedEntry(advisoryID: row[0], ecosystem: row[1], name: row[2], purl: row[3],
                                          versions: StoredVersions.decode(row[4]), ecosystemSpecificJSON: row[5], databaseSpecificJSON: row[6])
                out[entry.name, default: []].append(entry)
            }
            return out
        }
    }

    /// `affected(ecosystem:name:)` for many names of one ecosystem at once (a statement per 500
    /// names), keyed by the name as given.
    public func affected(ecosystem: Ecosystem, names: [String]) throws -> [String: [AffectedEntry]] {
        var byKey: [String: [String]] = [:]
        for name in names { byKey[PackageName.normalized(name, ecosystem: ecosystem), default: []].append(name) }
        let keys = Array(byKey.keys)
        let full: String? = ecosystem.release == nil ? nil : ecosystem.description
        var out: [String: [AffectedEntry]] = [:]
        try queue.unsafeRead { db in
            var start = 0
            while start < keys.count {
                let chunk = Array(keys[start..<min(start + 500, keys.count)])
                start += chunk.count
                let marks = Array(repeating: "?", count: chunk.count).joined(separator: ",")
                let sql = """
                    SELECT advisory_id, ecosystem, name, purl, versions, ecosystem_specific, database_specific
                    FROM affected WHERE family = ? AND name IN (\(marks)) AND (? IS NULL OR ecosystem = ?)
                    """
                var arguments: [(any DatabaseValueConvertible)?] = [ecosystem.name]
                arguments += chunk.map { $0 as (any DatabaseValueConvertible)? }
                arguments += [full, full]
                let rows = try Row.fetchCursor(db, sql: sql, arguments: StatementArguments(arguments))
                while let row = try rows.next() {
                    let entry = AffectedEntry(
                        advisoryID: row[0], ecosystem: row[1], name: row[2], purl: row[3],
                        versions: StoredVersions.decode(row[4]),
                        ecosystemSpecificJSON: row[5], databaseSpecificJSON: row[6]
                    )
                    for name in byKey[entry.name] ?? [] { out[name, default: []].append(entry) }
                }
            }
        }
        return out
    }

    /// The advisory with this id, or the advisories that list it as an alias (e.g. a CVE id).
    public func advisories(id: String) throws -> [Advisory] {
        try queue.read { db in
            var ids = try String.fetchAll(db, sql: "SELECT id FROM advisory WHERE id = ?", arguments: [id])
            if ids.isEmpty {
                ids = try String.fetchAll(db, sql: "SELECT DISTINCT advisory_id FROM alias WHERE alias = ? ORDER BY advisory_id", arguments: [id])
            }
            return try ids.compactMap { try advisory(db, id: $0) }
        }
    }

    private func advisory(_ db: Database, id: String) throws -> Advisory? {
        guard let row = try Row.fetchOne(db, sql: "SELECT record, source FROM advisory WHERE id = ?", arguments: [id]) else { return nil }
        let record = try JSONDecoder().decode(OSVRecord.self, from: Data((row["record"] as String).utf8))
        let (kev, epss) = try exploitation(db, cves: record.cveIDs)
        return Advisory(record: record, source: row["source"], kev: kev, epss: epss)
    }

    /// An advisory's `modified` time and its CVEs' KEV and EPSS data, without decoding its record:
    /// enough to tell that a copy decoded from an earlier database is still current and to bring
    /// its exploitation data up to date. nil when the advisory is no longer stored.
    public func revision(id: String, cves: [String]) throws -> (modified: String, kev: [KEVEntry], epss: [EPSSEntry])? {
        try queue.read { db in
            guard let modified = try String.fetchOne(db.cachedStatement(sql: "SELECT modified FROM advisory WHERE id = ?"), arguments: [id]) else { return nil }
            let (kev, epss) = try exploitation(db, cves: cves)
            return (modified, kev, epss)
        }
    }

    private func exploitation(_ db: Database, cves: [String]) throws -> (kev: [KEVEntry], epss: [EPSSEntry]) {
        var kev: [KEVEntry] = []
        var epss: [EPSSEntry] = []
        for cve in cves {
            if let k = try Row.fetchOne(db.cachedStatement(sql: "SELECT * FROM kev WHERE cve = ?"), arguments: [cve]) {
                kev.append(KEVEntry(cve: cve, vendor: k["vendor"], product: k["product"], name: k["name"], dateAdded: k["date_added"],
                                    dueDate: k["due_date"], knownRansomwareCampaignUse: k["ransomware"], requiredAction: k["required_action"]))
            }
            if let e = try Row.fetchOne(db.cachedStatement(sql: "SELECT probability, percentile FROM epss WHERE cve = ?"), arguments: [cve]) {
                epss.append(EPSSEntry(cve: cve, probability: e["probability"], percentile: e["percentile"]))
            }
        }
        return (kev, epss)
    }

    /// Counts and feeds for `vigil db status`.
    public func status() throws -> Status {
        try queue.read { db in
            var ecosystems: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT family, COUNT(DISTINCT advisory_id) AS n FROM affected GROUP BY family") {
                ecosystems[row["family"]] = row["n"]
            }
            let feeds = try Row.fetchAll(db, sql: "SELECT * FROM feed ORDER BY name").map { r in
                Feed(name: r["name"], location: r["location"], records: r["records"], updatedAt: r["updated_at"], version: r["version"], cursor: r["cursor"])
            }
            return Status(
                path: path,
                advisories: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisory") ?? 0,
                withdrawn: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM advisory WHERE withdrawn IS NOT NULL") ?? 0,
                ecosystems: ecosystems,
                kevEntries: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM kev") ?? 0,
                epssScores: try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM epss") ?? 0,
                feeds: feeds
            )
        }
    }

    /// True when an advisory with this exact id is stored (a primary-key probe).
    public func contains(id: String) throws -> Bool {
        try queue.unsafeRead { db in try Bool.fetchOne(db.cachedStatement(sql: "SELECT 1 FROM advisory WHERE id = ?"), arguments: [id]) ?? false }
    }

    /// Package names stored for an ecosystem family (for benchmarks and listings).
    public func packageNames(family: String, limit: Int = 100_000) throws -> [String] {
        try queue.read { db in
            try String.fetchAll(db, sql: "SELECT DISTINCT name FROM affected WHERE family = ? LIMIT ?", arguments: [family, limit])
        }
    }
}
