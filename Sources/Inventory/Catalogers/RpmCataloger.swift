import Foundation
import GRDB
import VigilCore

/// RPM packages from any of rpm's three database formats (in `/var/lib/rpm` or `/usr/lib/sysimage/rpm`):
/// `rpmdb.sqlite` (rpm 4.16+), Berkeley DB `Packages` and ndb `Packages.db` (see
/// `RpmDatabaseFormat`). Each stored header blob is decoded for name, epoch, version, release, arch
/// and source RPM.
struct RpmCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        return entry.name == "rpmdb.sqlite" || path.hasSuffix("/rpm/Packages") || path.hasSuffix("/rpm/Packages.db")
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            do {
                inventory.packages += try packages(fs, path, os: inventory.operatingSystem)
            } catch let error as InventoryError {
                inventory.problems.append(error.description)
            } catch {
                inventory.problems.append("\(path): unreadable rpm database: \(error)")
            }
        }
    }

    private func packages(_ fs: FileSystem, _ path: String, os: OperatingSystem?) throws -> [Package] {
        guard let database = try fs.read(path, limit: 1 << 30) else { return [] }
        let blobs: [Data]
        if path.hasSuffix("/Packages") {
            blobs = try RpmDatabaseFormat.berkeleyHashValues(database, path: path)
        } else if path.hasSuffix("/Packages.db") {
            blobs = try RpmDatabaseFormat.ndbValues(database, path: path)
        } else {
            blobs = try sqliteBlobs(fs, path, database)
        }
        return try blobs.compactMap { try package(RpmHeader($0, path: path), path: path, os: os) }
    }

    private func sqliteBlobs(_ fs: FileSystem, _ path: String, _ database: Data) throws -> [Data] {
        let scratch = FileManager.default.temporaryDirectory.appending(path: "vigil-rpmdb-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: scratch) }
        let copy = scratch.appending(path: "rpmdb.sqlite")
        try database.write(to: copy)
        // Recent changes may still sit in the write-ahead log beside the database.
        if let wal = try fs.read(path + "-wal", limit: 1 << 30) { try wal.write(to: scratch.appending(path: "rpmdb.sqlite-wal")) }
        let queue = try DatabaseQueue(path: copy.path)
        defer { try? queue.close() }
        return try queue.read { db in try Data.fetchAll(db, sql: "SELECT blob FROM Packages ORDER BY hnum") }
    }

    private func package(_ header: RpmHeader, path: String, os: OperatingSystem?) -> Package? {
        guard let name = header.string(1000), let version = header.string(1001), let release = header.string(1002),
              name != "gpg-pubkey" else { return nil }
        let epoch = header.int32(1003)
        let arch = header.string(1022)
        let evr = (epoch.map { "\($0):" } ?? "") + "\(version)-\(release)"
        var qualifiers: [String: String] = [:]
        qualifiers["arch"] = arch
        qualifiers["epoch"] = epoch.map(String.init)
        if let os, let v = os.version { qualifiers["distro"] = "\(os.id)-\(v)" }
        let source = header.string(1044).flatMap(Self.sourceName)
        if let source, source.name != name { qualifiers["upstream"] = header.string(1044) }
        return Package(
            name: name, version: evr, ecosystem: os?.ecosystem ?? "Red Hat",
            purl: PackageURL(type: "rpm", namespace: os?.id ?? "redhat", name: name, version: "\(version)-\(release)", qualifiers: qualifiers).description,
            path: path, packageManager: .os, sourceName: source?.name ?? name,
            sourceVersion: source.map { (epoch.map { "\($0):" } ?? "") + $0.version } ?? evr, architecture: arch
        )
    }

    /// `openssl-3.0.7-24.el9.src.rpm` → (`openssl`, `3.0.7-24.el9`).
    static func sourceName(_ rpm: String) -> (name: String, version: String)? {
        guard rpm.hasSuffix(".src.rpm") || rpm.hasSuffix(".nosrc.rpm") else { return nil }
        let base = rpm.hasSuffix(".src.rpm") ? String(rpm.dropLast(8)) : String(rpm.dropLast(10))
        guard let releaseDash = base.lastIndex(of: "-"), let versionDash = base[..<releaseDash].lastIndex(of: "-") else { return nil }
        return (String(base[..<versionDash]), String(base[base.index(after: versionDash)...]))
    }
}

/// An rpm header as stored in the database: index count and data length (big-endian), 16-byte index
/// entries (tag, type, offset, count), then the data store.
struct RpmHeader {
    private let entries: [Int32: (type: UInt32, offset: Int, count: Int)]
    private let store: Data

    init(_ blob: Data, path: String) throws {
        let b = [UInt8](blob)
        func u32(_ o: Int) -> UInt32 { UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3]) }
        guard b.count >= 8 else { throw InventoryError.malformed(path: path, reason: "rpm header shorter than 8 bytes") }
        let il = Int(u32(0)), dl = Int(u32(4))
        guard il < 100_000, dl < 256 << 20, 8 + il * 16 + dl <= b.count else {
            throw InventoryError.malformed(path: path, reason: "rpm header sizes (\(il) entries, \(dl) bytes) exceed the blob")
        }
        var entries: [Int32: (UInt32, Int, Int)] = [:]
        for k in 0..<il {
            let o = 8 + k * 16
            entries[Int32(bitPattern: u32(o))] = (u32(o + 4), Int(Int32(bitPattern: u32(o + 8))), Int(u32(o + 12)))
        }
        self.entries = entries
        store = Data(b[(8 + il * 16)..<(8 + il * 16 + dl)])
    }

    /// A STRING (6) or I18NSTRING (9) tag's value.
    func string(_ tag: Int32) -> String? {
        guard let e = entries[tag], e.type == 6 || e.type == 9 || e.type == 8, e.offset >= 0, e.offset < store.count else { return nil }
        let start = store.startIndex + e.offset
        let end = store[start...].firstIndex(of: 0) ?? store.endIndex
        return String(decoding: store[start..<end], as: UTF8.self)
    }

    /// An INT32 (4) tag's first value.
    func int32(_ tag: Int32) -> Int32? {
        guard let e = entries[tag], e.type == 4, e.offset >= 0, e.offset + 4 <= store.count else { return nil }
        let s = store.startIndex + e.offset
        return Int32(bitPattern: UInt32(store[s]) << 24 | UInt32(store[s + 1]) << 16 | UInt32(store[s + 2]) << 8 | UInt32(store[s + 3]))
    }
}
