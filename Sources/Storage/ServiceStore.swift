import Crypto
import Foundation
import GRDB
import VigilCore

/// Vigil's service state in the data directory (`vigil.sqlite`): principals with their access keys,
/// and each account's enablement per region and resource type. Secret access keys are sealed with
/// AES-GCM under a key kept in `secret.key` (created 0600), never stored in the clear. Immutable after
/// init; the database queue serializes access.
public final class ServiceStore: @unchecked Sendable {
    public struct Principal: Sendable, Hashable {
        public var accessKeyID: String
        public var accountID: String
        public var secret: String
        /// `full` or `read-only` (the built-in policies).
        public var policy: String

        public init(accessKeyID: String, accountID: String, secret: String, policy: String) {
            self.accessKeyID = accessKeyID
            self.accountID = accountID
            self.secret = secret
            self.policy = policy
        }
    }

    public static let resourceTypes = ["EC2", "ECR", "LAMBDA", "LAMBDA_CODE", "CODE_REPOSITORY"]

    /// A pool: readers (API calls, workers comparing findings) run beside the one writer.
    let queue: DatabasePool
    let key: SymmetricKey

    public init(dataDirectory: URL) throws {
        try FileManager.default.createDirectory(at: dataDirectory, withIntermediateDirectories: true)
        let keyFile = dataDirectory.appending(path: "secret.key")
        if !FileManager.default.fileExists(atPath: keyFile.path) {
            let fresh = SymmetricKey(size: .bits256).withUnsafeBytes { Data($0) }
            guard FileManager.default.createFile(atPath: keyFile.path, contents: fresh, attributes: [.posixPermissions: 0o600]) else {
                throw StoreError("cannot create \(keyFile.path)")
            }
        }
        let attributes = try FileManager.default.attributesOfItem(atPath: keyFile.path)
        if let mode = attributes[.posixPermissions] as? NSNumber, mode.intValue & 0o077 != 0 {
            throw StoreError("\(keyFile.path) is readable by others (mode \(String(mode.intValue, radix: 8))); chmod 600 it")
        }
        guard let bytes = FileManager.default.contents(atPath: keyFile.path), bytes.count == 32 else {
            throw StoreError("\(keyFile.path) is not a 32-byte key")
        }
        key = SymmetricKey(data: bytes)
        // Other processes use the same file beside a running server (`vigil keys`, agents' tests):
        // write-ahead logging lets them read while it writes, and a busy file is waited for.
        var configuration = Configuration()
        configuration.busyMode = .timeout(15)
        // WAL with synchronous NORMAL: a commit survives the process being killed (the crash test);
        // only a power loss may drop the last commits, never corrupting the file.
        configuration.prepareDatabase { db in
            try db.execute(sql: "PRAGMA synchronous = NORMAL")
        }
        queue = try DatabasePool(path: dataDirectory.appending(path: "vigil.sqlite").path, configuration: configuration)
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(sql: """
                CREATE TABLE principal (
                    access_key_id TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    sealed_secret BLOB NOT NULL,
                    policy TEXT NOT NULL,
                    created_at TEXT NOT NULL
                );
                CREATE TABLE account_status (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    resource_type TEXT NOT NULL,
                    status TEXT NOT NULL,
                    PRIMARY KEY (account_id, region, resource_type)
                );
                """)
        }
        migrator.registerMigration("v2") { db in
            try db.execute(sql: """
                CREATE TABLE setting (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    name TEXT NOT NULL,
                    value TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (account_id, region, name)
                );
                """)
        }
        migrator.registerMigration("v3") { db in
            // Resources under watch and their findings, each kept as its inspector2 JSON document
            // (CoveredResource, Finding) beside the columns queries select by.
            try db.execute(sql: """
                CREATE TABLE resource (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    resource_id TEXT NOT NULL,
                    resource_type TEXT NOT NULL,
                    document TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (account_id, region, resource_id)
                );
                CREATE TABLE finding (
                    finding_arn TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    resource_id TEXT NOT NULL,
                    resource_type TEXT NOT NULL,
                    vulnerability_id TEXT NOT NULL,
                    severity TEXT NOT NULL,
                    status TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    document TEXT NOT NULL
                );
                CREATE INDEX finding_by_account ON finding (account_id, region, status, severity);
                CREATE INDEX finding_by_resource ON finding (account_id, region, resource_id);
                """)
        }
        migrator.registerMigration("v4") { db in
            // The durable job queue (a dedupe key is unique among unfinished jobs), each resource's
            // last inventory (an `Inventory` JSON document: what re-evaluation matches again), and host
            // activations (codes sealed like secrets).
            try db.execute(sql: """
                CREATE TABLE job (
                    id INTEGER PRIMARY KEY AUTOINCREMENT,
                    kind TEXT NOT NULL,
                    dedupe_key TEXT NOT NULL,
                    payload TEXT NOT NULL,
                    state TEXT NOT NULL,
                    attempts INTEGER NOT NULL DEFAULT 0,
                    not_before REAL NOT NULL,
                    lease_until REAL,
                    error TEXT,
                    created_at REAL NOT NULL,
                    finished_at REAL
                );
                CREATE UNIQUE INDEX job_pending ON job (dedupe_key) WHERE state IN ('queued', 'leased');
                CREATE INDEX job_ready ON job (state, not_before);
                CREATE TABLE inventory (
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    resource_id TEXT NOT NULL,
                    document TEXT NOT NULL,
                    updated_at REAL NOT NULL,
                    PRIMARY KEY (account_id, region, resource_id)
                );
                CREATE TABLE activation (
                    id TEXT PRIMARY KEY,
                    sealed_code BLOB NOT NULL,
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    expires_at REAL NOT NULL,
                    registrations_left INTEGER NOT NULL
                );
                """)
        }
        migrator.registerMigration("v5") { db in
            // What a re-evaluation needs to leave an unchanged finding alone: a fingerprint of what
            // it was built from, and to reconcile a rebuilt one without decoding its old document:
            // its first observation, its `updatedAt` and its reader-visible content (all read
            // through a covering index, never touching the documents); and the resource's last
            // evaluation. Every open finding of a resource was observed by its
            // last evaluation (one no longer seen would have closed), so readers take an open
            // finding's `lastObservedAt` from its resource and its document needs no rewrite.
            try db.execute(sql: """
                ALTER TABLE finding ADD COLUMN fingerprint TEXT;
                ALTER TABLE finding ADD COLUMN first_observed_at REAL;
                ALTER TABLE finding ADD COLUMN finding_updated_at REAL;
                ALTER TABLE finding ADD COLUMN content TEXT;
                ALTER TABLE resource ADD COLUMN observed_at REAL;
                DROP INDEX finding_by_resource;
                CREATE INDEX finding_state ON finding (account_id, region, resource_id, finding_arn, status, fingerprint,
                                                       first_observed_at, finding_updated_at, content);
                """)
        }
        migrator.registerMigration("v6") { db in
            // A job may be queued again while it runs (an advisory update landing during an
            // evaluation must not be lost): keys are unique among queued jobs only, and a queued
            // job waits while one with its key is running (see `claim`).
            try db.execute(sql: """
                DROP INDEX job_pending;
                CREATE UNIQUE INDEX job_queued ON job (dedupe_key) WHERE state = 'queued';
                """)
        }
        migrator.registerMigration("v7") { db in
            // A change feed for readers that keep findings in memory (the findings API's index): every
            // insert or update of a finding or resource takes the next number of one counter, so a
            // reader asks only for rows changed since the number it last saw. Numbers are given in
            // commit order (SQLite has one writer), so a reader never misses a row. Findings are never
            // deleted; a resource's deletion only matters through its findings, which are written
            // (closed) in the same transaction. And the account's findings filters (CreateFilter).
            try db.execute(sql: """
                CREATE TABLE change_counter (id INTEGER PRIMARY KEY CHECK (id = 1), value INTEGER NOT NULL);
                ALTER TABLE finding ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
                ALTER TABLE resource ADD COLUMN seq INTEGER NOT NULL DEFAULT 0;
                UPDATE finding SET seq = rowid;
                UPDATE resource SET seq = (SELECT coalesce(max(rowid), 0) FROM finding) + rowid;
                INSERT INTO change_counter VALUES (1, (SELECT coalesce(max(seq), 0) FROM resource) + (SELECT coalesce(max(seq), 0) FROM finding));
                CREATE INDEX finding_seq ON finding (seq);
                CREATE INDEX resource_seq ON resource (seq);
                CREATE TRIGGER finding_changed_insert AFTER INSERT ON finding BEGIN
                    UPDATE change_counter SET value = value + 1;
                    UPDATE finding SET seq = (SELECT value FROM change_counter) WHERE rowid = NEW.rowid;
                END;
                CREATE TRIGGER finding_changed_update AFTER UPDATE OF status, document, resource_id, account_id, region ON finding BEGIN
                    UPDATE change_counter SET value = value + 1;
                    UPDATE finding SET seq = (SELECT value FROM change_counter) WHERE rowid = NEW.rowid;
                END;
                CREATE TRIGGER resource_changed_insert AFTER INSERT ON resource BEGIN
                    UPDATE change_counter SET value = value + 1;
                    UPDATE resource SET seq = (SELECT value FROM change_counter) WHERE rowid = NEW.rowid;
                END;
                CREATE TRIGGER resource_changed_update AFTER UPDATE OF observed_at, document ON resource BEGIN
                    UPDATE change_counter SET value = value + 1;
                    UPDATE resource SET seq = (SELECT value FROM change_counter) WHERE rowid = NEW.rowid;
                END;
                CREATE TABLE finding_filter (
                    arn TEXT PRIMARY KEY,
                    account_id TEXT NOT NULL,
                    region TEXT NOT NULL,
                    document TEXT NOT NULL,
                    updated_at REAL NOT NULL
                );
                CREATE INDEX finding_filter_by_account ON finding_filter (account_id, region);
                """)
        }
        try migrator.migrate(queue)
    }

    public struct StoreError: Error, CustomStringConvertible {
        public let description: String
        init(_ description: String) { self.description = description }
    }

    // MARK: Principals

    /// A fresh access key: `AKIA` and 16 base-32 characters, and a 40-character secret, from the
    /// system's secure random source.
    public static func newAccessKey() -> (id: String, secret: String) {
        var generator = SystemRandomNumberGenerator()
        let upper = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZ234567")
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/")
        return ("AKIA" + String((0..<16).map { _ in upper.randomElement(using: &generator)! }),
                String((0..<40).map { _ in alphabet.randomElement(using: &generator)! }))
    }

    /// A fresh 12-digit account id.
    public static func newAccountID() -> String {
        var generator = SystemRandomNumberGenerator()
        return String((0..<12).map { _ in "0123456789".randomElement(using: &generator)! })
    }

    public func addPrincipal(_ principal: Principal) throws {
        principals.set(principal)
        let sealed = try AES.GCM.seal(Data(principal.secret.utf8), using: key).combined ?? Data()
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO principal VALUES (?, ?, ?, ?, ?)",
                           arguments: [principal.accessKeyID, principal.accountID, sealed, principal.policy, ISO8601DateFormatter().string(from: Date())])
        }
    }

    /// Principals already opened, so a request does not pay for SQLite and AES-GCM again.
    private let principals = PrincipalCache()

    public func principal(accessKeyID: String) throws -> Principal? {
        if let known = principals.get(accessKeyID) { return known }
        let found = try queue.read { db -> Principal? in
            guard let row = try Row.fetchOne(db, sql: "SELECT account_id, sealed_secret, policy FROM principal WHERE access_key_id = ?", arguments: [accessKeyID]) else { return nil }
            let sealed: Data = row[1]
            let secret = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key)
            return Principal(accessKeyID: accessKeyID, accountID: row[0], secret: String(decoding: secret, as: UTF8.self), policy: row[2])
        }
        if let found { principals.set(found) }
        return found
    }

    /// Every access key (without its secret): id, account, policy (a built-in name or `custom`) and
    /// when it was created.
    public func keys(account: String? = nil) throws -> [(accessKeyID: String, accountID: String, policy: String, createdAt: String)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT access_key_id, account_id, policy, created_at FROM principal
                WHERE ? IS NULL OR account_id = ? ORDER BY account_id, created_at, access_key_id
                """, arguments: [account, account]).map {
                let policy: String = $0[2]
                return ($0[0], $0[1], ["full", "read-only"].contains(policy) ? policy : "custom", $0[3])
            }
        }
    }

    /// Removes an access key; false when there was none. A running server stops accepting it within
    /// 30 seconds (its principal cache's lifetime).
    public func deleteKey(_ accessKeyID: String) throws -> Bool {
        principals.remove(accessKeyID)
        return try queue.write { db in
            try db.execute(sql: "DELETE FROM principal WHERE access_key_id = ?", arguments: [accessKeyID])
            return db.changesCount > 0
        }
    }

    public func principalCount() throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM principal") ?? 0 }
    }

    public func accounts() throws -> [String] {
        try queue.read { db in try String.fetchAll(db, sql: "SELECT DISTINCT account_id FROM principal ORDER BY account_id") }
    }

    // MARK: Settings

    /// A JSON document kept per account and region (configuration, deep inspection), with when it
    /// was last written.
    public func setting(account: String, region: String, name: String) throws -> (value: String, updatedAt: Double)? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT value, updated_at FROM setting WHERE account_id = ? AND region = ? AND name = ?",
                             arguments: [account, region, name]).map { ($0[0], $0[1]) }
        }
    }

    /// Every setting of an account and region whose name starts with `prefix`, by name.
    public func settings(account: String, region: String, prefix: String) throws -> [String: (value: String, updatedAt: Double)] {
        try queue.read { db in
            var out: [String: (value: String, updatedAt: Double)] = [:]
            // substr rather than LIKE: names may hold `%` and `_`.
            for row in try Row.fetchAll(db, sql: """
                SELECT name, value, updated_at FROM setting WHERE account_id = ? AND region = ? AND substr(name, 1, ?) = ?
                """, arguments: [account, region, prefix.count, prefix]) {
                out[row[0]] = (row[1], row[2])
            }
            return out
        }
    }

    public func setSetting(account: String, region: String, name: String, value: String) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO setting VALUES (?, ?, ?, ?, ?)",
                           arguments: [account, region, name, value, Date().timeIntervalSince1970.rounded()])
        }
    }

    // MARK: Enablement

    /// Each resource type's status for an account in a region (DISABLED when never enabled).
    public func status(account: String, region: String) throws -> [String: String] {
        try queue.read { db in
            var out = Dictionary(uniqueKeysWithValues: Self.resourceTypes.map { ($0, "DISABLED") })
            for row in try Row.fetchAll(db, sql: "SELECT resource_type, status FROM account_status WHERE account_id = ? AND region = ?", arguments: [account, region]) {
                out[row[0]] = row[1]
            }
            return out
        }
    }

    public func setStatus(account: String, region: String, resourceTypes: [String], status: String) throws {
        try queue.write { db in
            for type in resourceTypes {
                try db.execute(sql: "INSERT OR REPLACE INTO account_status VALUES (?, ?, ?, ?)", arguments: [account, region, type, status])
            }
        }
    }
}

// MARK: Resources and findings

extension ServiceStore {
    /// A covered resource: its key columns and its inspector2 `CoveredResource` JSON document.
    public struct StoredResource: Sendable, Hashable {
        public var accountID: String
        public var region: String
        public var resourceID: String
        public var resourceType: String
        public var document: String

        public init(accountID: String, region: String, resourceID: String, resourceType: String, document: String) {
            self.accountID = accountID
            self.region = region
            self.resourceID = resourceID
            self.resourceType = resourceType
            self.document = document
        }
    }

    /// A finding: its key columns and its inspector2 `Finding` JSON document.
    public struct StoredFinding: Sendable, Hashable {
        public var arn: String
        public var accountID: String
        public var region: String
        public var resourceID: String
        public var resourceType: String
        public var vulnerabilityID: String
        public var severity: String
        public var status: String
        public var document: String
        /// What the finding was built from (see `FindingBuilder.Pending`); nil for findings written
        /// without one.
        public var fingerprint: String?
        /// An open finding's last observation (its resource's last evaluation), newer than the
        /// document's own when a re-evaluation found the finding unchanged; readers put it into
        /// the document. Not written: it is the resource's.
        public var lastObservedAt: Double?

        /// The finding's own first observation, `updatedAt` and reader-visible content
        /// (`Reconciler.content`), kept beside the document for reconciliation.
        public var firstObservedAt: Double?
        public var findingUpdatedAt: Double?
        public var content: String?

        public init(arn: String, accountID: String, region: String, resourceID: String, resourceType: String,
                    vulnerabilityID: String, severity: String, status: String, document: String,
                    fingerprint: String? = nil, lastObservedAt: Double? = nil, firstObservedAt: Double? = nil, findingUpdatedAt: Double? = nil,
                    content: String? = nil) {
            self.fingerprint = fingerprint
            self.firstObservedAt = firstObservedAt
            self.findingUpdatedAt = findingUpdatedAt
            self.content = content
            self.lastObservedAt = lastObservedAt
            self.arn = arn
            self.accountID = accountID
            self.region = region
            self.resourceID = resourceID
            self.resourceType = resourceType
            self.vulnerabilityID = vulnerabilityID
            self.severity = severity
            self.status = status
            self.document = document
        }
    }

    /// Adds or replaces resources (one transaction).
    public func putResources(_ resources: [StoredResource]) throws {
        let now = Date().timeIntervalSince1970
        try queue.write { db in
            for r in resources { try Self.write(r, at: now, observedAt: nil, in: db) }
        }
    }

    /// An account's resources in a region, by resource id.
    public func resources(account: String, region: String) throws -> [StoredResource] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT resource_id, resource_type, document FROM resource WHERE account_id = ? AND region = ? ORDER BY resource_id",
                             arguments: [account, region]).map {
                StoredResource(accountID: account, region: region, resourceID: $0[0], resourceType: $0[1], document: $0[2])
            }
        }
    }

    /// Adds or replaces findings (one transaction).
    public func putFindings(_ findings: [StoredFinding]) throws {
        let now = Date().timeIntervalSince1970
        try queue.write { db in
            try Self.write(findings, at: now, in: db)
        }
    }

    /// An account's findings in a region, by ARN.
    public func findings(account: String, region: String) throws -> [StoredFinding] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.finding_arn, f.resource_id, f.resource_type, f.vulnerability_id, f.severity, f.status, f.document, f.fingerprint,
                       \(Self.lastObserved)
                FROM finding f LEFT JOIN resource r USING (account_id, region, resource_id)
                WHERE f.account_id = ? AND f.region = ? ORDER BY f.finding_arn
                """, arguments: [account, region]).map {
                StoredFinding(arn: $0[0], accountID: account, region: region, resourceID: $0[1], resourceType: $0[2],
                              vulnerabilityID: $0[3], severity: $0[4], status: $0[5], document: $0[6], fingerprint: $0[7], lastObservedAt: $0[8])
            }
        }
    }
}

// MARK: Jobs, inventories, activations

extension ServiceStore {
    public struct Job: Sendable, Hashable {
        public var id: Int64
        public var kind: String
        public var key: String
        public var payload: String
        public var attempts: Int
    }

    /// Queues a job unless one with the same key is already queued or running (then nothing
    /// happens: jobs are idempotent by key). True when queued.
    @discardableResult
    public func enqueue(kind: String, key: String, payload: String, notBefore: Date = Date()) throws -> Bool {
        try enqueue([(kind, key, payload)], notBefore: notBefore) == 1
    }

    /// Queues many jobs in one transaction (every inventory after an advisory update); returns how
    /// many were not already queued.
    @discardableResult
    public func enqueue(_ jobs: [(kind: String, key: String, payload: String)], notBefore: Date = Date()) throws -> Int {
        try queue.write { db in
            let statement = try db.cachedStatement(sql: """
                INSERT OR IGNORE INTO job (kind, dedupe_key, payload, state, not_before, created_at) VALUES (?, ?, ?, 'queued', ?, ?)
                """)
            var added = 0
            for job in jobs {
                try statement.execute(arguments: [job.kind, job.key, job.payload, notBefore.timeIntervalSince1970, Date().timeIntervalSince1970])
                added += db.changesCount
            }
            return added
        }
    }

    /// Leases the oldest ready job: a queued one whose time has come, or a leased one whose lease
    /// ran out (its worker died); never one whose key another worker is running. The attempt
    /// count goes up with each lease.
    public func claim(lease: TimeInterval) throws -> Job? {
        let now = Date().timeIntervalSince1970
        return try queue.write { db in
            guard let row = try Row.fetchOne(db, sql: """
                SELECT id, kind, dedupe_key, payload, attempts FROM job
                WHERE ((state = 'queued' AND not_before <= ?) OR (state = 'leased' AND lease_until < ?))
                  AND NOT EXISTS (SELECT 1 FROM job AS running WHERE running.dedupe_key = job.dedupe_key AND running.id != job.id
                                  AND running.state = 'leased' AND running.lease_until >= ?)
                ORDER BY not_before, id LIMIT 1
                """, arguments: [now, now, now]) else { return nil }
            let job = Job(id: row[0], kind: row[1], key: row[2], payload: row[3], attempts: row[4] + 1)
            try db.execute(sql: "UPDATE job SET state = 'leased', lease_until = ?, attempts = ? WHERE id = ?",
                           arguments: [now + lease, job.attempts, job.id])
            return job
        }
    }

    public func complete(_ job: Job) throws {
        try queue.write { db in
            try db.execute(sql: "UPDATE job SET state = 'done', lease_until = NULL, error = NULL, finished_at = ? WHERE id = ?",
                           arguments: [Date().timeIntervalSince1970, job.id])
        }
    }

    /// A failed attempt: queued again after `retryAfter`, or failed for good after `maxAttempts`.
    public func fail(_ job: Job, error: String, retryAfter: TimeInterval, maxAttempts: Int) throws {
        let now = Date().timeIntervalSince1970
        try queue.write { db in
            if job.attempts >= maxAttempts {
                try db.execute(sql: "UPDATE job SET state = 'failed', lease_until = NULL, error = ?, finished_at = ? WHERE id = ?",
                               arguments: [error, now, job.id])
            } else {
                try db.execute(sql: "UPDATE job SET state = 'queued', lease_until = NULL, error = ?, not_before = ? WHERE id = ?",
                               arguments: [error, now + retryAfter, job.id])
            }
        }
    }

    /// Jobs per state (for status and tests).
    public func jobCounts() throws -> [String: Int] {
        try queue.read { db in
            var out: [String: Int] = [:]
            for row in try Row.fetchAll(db, sql: "SELECT state, COUNT(*) FROM job GROUP BY state") { out[row[0]] = row[1] }
            return out
        }
    }

    /// How many times jobs of a key have been completed (a crash test checks "exactly once").
    public func completions(key: String) throws -> Int {
        try queue.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM job WHERE dedupe_key = ? AND state = 'done'", arguments: [key]) ?? 0 }
    }

    public func putInventory(account: String, region: String, resourceID: String, document: String) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO inventory VALUES (?, ?, ?, ?, ?)",
                           arguments: [account, region, resourceID, document, Date().timeIntervalSince1970])
        }
    }

    public func inventory(account: String, region: String, resourceID: String) throws -> String? {
        try queue.read { db in
            try String.fetchOne(db, sql: "SELECT document FROM inventory WHERE account_id = ? AND region = ? AND resource_id = ?",
                                arguments: [account, region, resourceID])
        }
    }

    /// Every stored inventory's key: what an advisory update re-evaluates.
    public func inventoryKeys() throws -> [(account: String, region: String, resourceID: String)] {
        try queue.read { db in
            try Row.fetchAll(db, sql: "SELECT account_id, region, resource_id FROM inventory ORDER BY account_id, region, resource_id").map { ($0[0], $0[1], $0[2]) }
        }
    }

    /// One resource (nil when unknown).
    public func resource(account: String, region: String, resourceID: String) throws -> StoredResource? {
        try queue.read { db in
            try Row.fetchOne(db, sql: "SELECT resource_type, document FROM resource WHERE account_id = ? AND region = ? AND resource_id = ?",
                             arguments: [account, region, resourceID]).map {
                StoredResource(accountID: account, region: region, resourceID: resourceID, resourceType: $0[0], document: $0[1])
            }
        }
    }

    /// A resource's findings (every status).
    public func findings(account: String, region: String, resourceID: String) throws -> [StoredFinding] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT f.finding_arn, f.resource_type, f.vulnerability_id, f.severity, f.status, f.document, f.fingerprint, \(Self.lastObserved)
                FROM finding f LEFT JOIN resource r USING (account_id, region, resource_id)
                WHERE f.account_id = ? AND f.region = ? AND f.resource_id = ? ORDER BY f.finding_arn
                """, arguments: [account, region, resourceID]).map {
                StoredFinding(arn: $0[0], accountID: account, region: region, resourceID: resourceID, resourceType: $0[1],
                              vulnerabilityID: $0[2], severity: $0[3], status: $0[4], document: $0[5], fingerprint: $0[6], lastObservedAt: $0[7])
            }
        }
    }

    /// A stored finding without its document: what a re-evaluation compares against.
    public struct FindingState: Sendable, Hashable {
        public var arn: String
        public var status: String
        public var fingerprint: String?
        public var firstObservedAt: Double?
        public var updatedAt: Double?
        public var content: String?
    }

    /// A resource's findings without their documents.
    public func findingStates(account: String, region: String, resourceID: String) throws -> [FindingState] {
        try queue.read { db in
            try Row.fetchAll(db.cachedStatement(sql: """
                SELECT finding_arn, status, fingerprint, first_observed_at, finding_updated_at, content FROM finding
                WHERE account_id = ? AND region = ? AND resource_id = ?
                """), arguments: [account, region, resourceID]).map {
                FindingState(arn: $0[0], status: $0[1], fingerprint: $0[2], firstObservedAt: $0[3], updatedAt: $0[4], content: $0[5])
            }
        }
    }

    /// Some findings by ARN (every status), with their documents.
    public func findings(arns: [String]) throws -> [StoredFinding] {
        guard !arns.isEmpty else { return [] }
        return try queue.read { db in
            try arns.compactMap { arn in
                try Row.fetchOne(db.cachedStatement(sql: """
                    SELECT f.account_id, f.region, f.resource_id, f.resource_type, f.vulnerability_id, f.severity, f.status, f.document,
                           f.fingerprint, \(Self.lastObserved)
                    FROM finding f LEFT JOIN resource r USING (account_id, region, resource_id) WHERE f.finding_arn = ?
                    """), arguments: [arn]).map {
                    StoredFinding(arn: arn, accountID: $0[0], region: $0[1], resourceID: $0[2], resourceType: $0[3], vulnerabilityID: $0[4],
                                  severity: $0[5], status: $0[6], document: $0[7], fingerprint: $0[8], lastObservedAt: $0[9])
                }
            }
        }
    }

    /// Removes a resource from coverage with its inventory, writing its (closed) findings: one
    /// transaction.
    public func remove(account: String, region: String, resourceID: String, closing findings: [StoredFinding]) throws {
        let now = Date().timeIntervalSince1970
        try queue.write { db in
            try Self.write(findings, at: now, in: db)
            try db.execute(sql: "DELETE FROM resource WHERE account_id = ? AND region = ? AND resource_id = ?", arguments: [account, region, resourceID])
            try db.execute(sql: "DELETE FROM inventory WHERE account_id = ? AND region = ? AND resource_id = ?", arguments: [account, region, resourceID])
        }
    }

    /// An open finding's last observation: its resource's last evaluation (nil for findings
    /// written without one; readers then keep the document's).
    static let lastObserved = "CASE WHEN f.status != 'CLOSED' THEN r.observed_at END"

    /// Adds or updates findings (updated in place: index entries move only when their columns do).
    static func write(_ findings: [StoredFinding], at now: Double, in db: Database) throws {
        let statement = try db.cachedStatement(sql: """
            INSERT INTO finding (finding_arn, account_id, region, resource_id, resource_type, vulnerability_id, severity, status,
                                 updated_at, document, fingerprint, first_observed_at, finding_updated_at, content)
            VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (finding_arn) DO UPDATE SET account_id = excluded.account_id, region = excluded.region, resource_id = excluded.resource_id,
                resource_type = excluded.resource_type, vulnerability_id = excluded.vulnerability_id, severity = excluded.severity,
                status = excluded.status, updated_at = excluded.updated_at, document = excluded.document, fingerprint = excluded.fingerprint,
                first_observed_at = excluded.first_observed_at, finding_updated_at = excluded.finding_updated_at, content = excluded.content
            """)
        for f in findings {
            try statement.execute(arguments: [f.arn, f.accountID, f.region, f.resourceID, f.resourceType, f.vulnerabilityID, f.severity, f.status,
                                              now, f.document, f.fingerprint, f.firstObservedAt, f.findingUpdatedAt, f.content])
        }
    }

    /// Adds or replaces a resource; its last evaluation is kept unless `observedAt` gives a new one.
    static func write(_ r: StoredResource, at now: Double, observedAt: Double?, in db: Database) throws {
        try db.cachedStatement(sql: """
            INSERT INTO resource (account_id, region, resource_id, resource_type, document, updated_at, observed_at) VALUES (?, ?, ?, ?, ?, ?, ?)
            ON CONFLICT (account_id, region, resource_id) DO UPDATE SET resource_type = excluded.resource_type, document = excluded.document,
                updated_at = excluded.updated_at, observed_at = coalesce(excluded.observed_at, resource.observed_at)
            """).execute(arguments: [r.accountID, r.region, r.resourceID, r.resourceType, r.document, now, observedAt])
    }

    /// Writes a resource, its findings and (optionally) its inventory in one transaction, so a crash
    /// never leaves half a scan. `observedAt` is the time of an evaluation: every finding of the
    /// resource left open was observed then, including those not rewritten.
    public func record(resource: StoredResource, findings: [StoredFinding], inventory: String?, observedAt: Double? = nil) throws {
        let now = Date().timeIntervalSince1970
        try queue.write { db in
            try Self.write(resource, at: now, observedAt: observedAt, in: db)
            try Self.write(findings, at: now, in: db)
            if let inventory {
                try db.execute(sql: "INSERT OR REPLACE INTO inventory VALUES (?, ?, ?, ?, ?)",
                               arguments: [resource.accountID, resource.region, resource.resourceID, inventory, now])
            }
        }
    }

    /// Seals a secret (a registry password) with the store's key.
    public func seal(_ text: String) throws -> Data {
        try AES.GCM.seal(Data(text.utf8), using: key).combined ?? Data()
    }

    public func unseal(_ data: Data) throws -> String {
        String(decoding: try AES.GCM.open(AES.GCM.SealedBox(combined: data), using: key), as: UTF8.self)
    }

    /// A host activation: an id and a one-time-shown code that enrol up to `registrations` hosts
    /// into an account and region until `expires`.
    public func createActivation(account: String, region: String, registrations: Int, expires: Date) throws -> (id: String, code: String) {
        let id = UUID().uuidString.lowercased()
        let code = Self.newAccessKey().secret.replacingOccurrences(of: "/", with: "A").replacingOccurrences(of: "+", with: "B")
        let sealed = try AES.GCM.seal(Data(code.utf8), using: key).combined ?? Data()
        try queue.write { db in
            try db.execute(sql: "INSERT INTO activation VALUES (?, ?, ?, ?, ?, ?)",
                           arguments: [id, sealed, account, region, expires.timeIntervalSince1970, registrations])
        }
        return (id, code)
    }

    /// Uses one registration of an activation when the code is right and it is still valid; the
    /// account and region it enrols into.
    public func redeemActivation(id: String, code: String) throws -> (account: String, region: String)? {
        try queue.write { db in
            guard let row = try Row.fetchOne(db, sql: "SELECT sealed_code, account_id, region, expires_at, registrations_left FROM activation WHERE id = ?",
                                             arguments: [id]) else { return nil }
            let sealed: Data = row[0]
            let stored = try AES.GCM.open(AES.GCM.SealedBox(combined: sealed), using: key)
            guard constantTimeEqual(stored, Data(code.utf8)) else { return nil }
            let expires: Double = row[3], left: Int = row[4]
            guard expires > Date().timeIntervalSince1970, left > 0 else { return nil }
            try db.execute(sql: "UPDATE activation SET registrations_left = registrations_left - 1 WHERE id = ?", arguments: [id])
            return (row[1], row[2])
        }
    }
}

/// Principals already opened, each kept for 30 seconds so a key deleted by another process (`vigil
/// keys delete` beside a running server) stops working within that time.
final class PrincipalCache: @unchecked Sendable {
    static let lifetime: TimeInterval = 30
    private var map: [String: (principal: ServiceStore.Principal, at: Date)] = [:]
    private let lock = NSLock()

    func get(_ key: String) -> ServiceStore.Principal? {
        lock.withLock {
            guard let entry = map[key], Date().timeIntervalSince(entry.at) < Self.lifetime else { return nil }
            return entry.principal
        }
    }

    func set(_ principal: ServiceStore.Principal) { lock.withLock { map[principal.accessKeyID] = (principal, Date()) } }
    func remove(_ key: String) { lock.withLock { map[key] = nil } }
}

// MARK: Change feed and findings filters

extension ServiceStore {
    /// A finding as the change feed gives it: its key columns, stored status and document.
    public struct FindingChange: Sendable {
        public var seq: Int64
        public var arn: String
        public var accountID: String
        public var region: String
        public var resourceID: String
        public var status: String
        public var document: String
    }

    /// A resource's last evaluation as the change feed gives it.
    public struct ResourceChange: Sendable {
        public var seq: Int64
        public var accountID: String
        public var region: String
        public var resourceID: String
        public var observedAt: Double?
    }

    /// Findings and resources written after `seq` (at most `limit` findings, in change order), and
    /// the feed position the answer reaches; all read in one snapshot.
    public func changes(after seq: Int64, limit: Int) throws -> (findings: [FindingChange], resources: [ResourceChange], reached: Int64) {
        try queue.read { db in
            let findings = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT seq, finding_arn, account_id, region, resource_id, status, document FROM finding WHERE seq > ? ORDER BY seq LIMIT ?
                """), arguments: [seq, limit]).map {
                FindingChange(seq: $0[0], arn: $0[1], accountID: $0[2], region: $0[3], resourceID: $0[4], status: $0[5], document: $0[6])
            }
            // A full batch reaches only its last finding; otherwise everything committed is seen.
            let reached: Int64 = findings.count == limit ? findings.last!.seq : try Int64.fetchOne(db, sql: "SELECT value FROM change_counter") ?? seq
            let resources = try Row.fetchAll(db.cachedStatement(sql: """
                SELECT seq, account_id, region, resource_id, observed_at FROM resource WHERE seq > ? AND seq <= ?
                """), arguments: [seq, reached]).map {
                ResourceChange(seq: $0[0], accountID: $0[1], region: $0[2], resourceID: $0[3], observedAt: $0[4])
            }
            return (findings, resources, reached)
        }
    }

    /// The change feed's current position.
    public func changePosition() throws -> Int64 {
        try queue.read { db in try Int64.fetchOne(db, sql: "SELECT value FROM change_counter") ?? 0 }
    }

    /// A findings filter (CreateFilter): its ARN and its inspector2 `Filter` JSON document.
    public struct StoredFilter: Sendable, Hashable {
        public var arn: String
        public var accountID: String
        public var region: String
        public var document: String

        public init(arn: String, accountID: String, region: String, document: String) {
            self.arn = arn
            self.accountID = accountID
            self.region = region
            self.document = document
        }
    }

    /// Adds or replaces a filter.
    public func putFilter(_ filter: StoredFilter) throws {
        try queue.write { db in
            try db.execute(sql: "INSERT OR REPLACE INTO finding_filter VALUES (?, ?, ?, ?, ?)",
                           arguments: [filter.arn, filter.accountID, filter.region, filter.document, Date().timeIntervalSince1970])
        }
    }

    /// Deletes a filter of the account; false when it has none with that ARN.
    public func deleteFilter(account: String, region: String, arn: String) throws -> Bool {
        try queue.write { db in
            try db.execute(sql: "DELETE FROM finding_filter WHERE account_id = ? AND region = ? AND arn = ?", arguments: [account, region, arn])
            return db.changesCount > 0
        }
    }

    /// An account's filters in a region, by ARN; every account's when `account` is nil.
    public func filters(account: String? = nil, region: String? = nil) throws -> [StoredFilter] {
        try queue.read { db in
            let rows = if let account, let region {
                try Row.fetchAll(db, sql: "SELECT arn, account_id, region, document FROM finding_filter WHERE account_id = ? AND region = ? ORDER BY arn",
                                 arguments: [account, region])
            } else {
                try Row.fetchAll(db, sql: "SELECT arn, account_id, region, document FROM finding_filter ORDER BY arn")
            }
            return rows.map { StoredFilter(arn: $0[0], accountID: $0[1], region: $0[2], document: $0[3]) }
        }
    }
}
