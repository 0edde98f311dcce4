import Crypto
import Foundation
import GRDB

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

    let queue: DatabaseQueue
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
        queue = try DatabaseQueue(path: dataDirectory.appending(path: "vigil.sqlite").path)
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

        public init(arn: String, accountID: String, region: String, resourceID: String, resourceType: String,
                    vulnerabilityID: String, severity: String, status: String, document: String) {
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
            for r in resources {
                try db.execute(sql: "INSERT OR REPLACE INTO resource VALUES (?, ?, ?, ?, ?, ?)",
                               arguments: [r.accountID, r.region, r.resourceID, r.resourceType, r.document, now])
            }
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
            for f in findings {
                try db.execute(sql: "INSERT OR REPLACE INTO finding VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                               arguments: [f.arn, f.accountID, f.region, f.resourceID, f.resourceType, f.vulnerabilityID,
                                           f.severity, f.status, now, f.document])
            }
        }
    }

    /// An account's findings in a region, by ARN.
    public func findings(account: String, region: String) throws -> [StoredFinding] {
        try queue.read { db in
            try Row.fetchAll(db, sql: """
                SELECT finding_arn, resource_id, resource_type, vulnerability_id, severity, status, document
                FROM finding WHERE account_id = ? AND region = ? ORDER BY finding_arn
                """, arguments: [account, region]).map {
                StoredFinding(arn: $0[0], accountID: account, region: region, resourceID: $0[1], resourceType: $0[2],
                              vulnerabilityID: $0[3], severity: $0[4], status: $0[5], document: $0[6])
            }
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
