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

final class PrincipalCache: @unchecked Sendable {
    private var map: [String: ServiceStore.Principal] = [:]
    private let lock = NSLock()

    func get(_ key: String) -> ServiceStore.Principal? { lock.withLock { map[key] } }
    func set(_ principal: ServiceStore.Principal) { lock.withLock { map[principal.accessKeyID] = principal } }
}
