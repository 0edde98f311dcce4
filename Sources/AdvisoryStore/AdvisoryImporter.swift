import Advisories
import Archives
import Foundation
import GRDB

/// What an import or update did.
public struct ImportReport: Sendable, Codable {
    /// OSV records stored (new or newer than the stored copy).
    public var records = 0
    /// Records not stored because a newer copy was already there.
    public var unchanged = 0
    /// Malformed records and rows: source and reason, skipped.
    public var malformed: [String] = []
    public var kevEntries: Int?
    public var epssScores: Int?
    /// Inputs in the order they were read.
    public var sources: [String] = []

    public init() {}
}

/// Recognises each input by its content (OSV JSON record or array, a directory of them, an OSV zip,
/// a KEV catalog, an EPSS CSV, any of them gzipped, local or over HTTP) and writes it into a new
/// version of the database. Nothing is committed until `finish()`.
public final class AdvisoryImporter {
    public private(set) var report = ImportReport()
    private let builder: AdvisoryDatabaseBuilder
    private let downloader: Downloader
    private let limits: ArchiveLimits
    private let progress: @Sendable (String, Int) -> Void

    /// - Parameter progress: called with a source and the records read from it so far.
    public init(
        dataDirectory: URL, downloader: Downloader = Downloader(), limits: ArchiveLimits = ArchiveLimits(),
        progress: @escaping @Sendable (String, Int) -> Void = { _, _ in }
    ) throws {
        builder = try AdvisoryDatabaseBuilder(dataDirectory: dataDirectory)
        self.downloader = downloader
        self.limits = limits
        self.progress = progress
    }

    /// Swaps the new database in.
    public func finish() throws -> ImportReport {
        try builder.commit()
        return report
    }

    /// Abandons everything imported; the previous database is unchanged.
    public func abandon() { builder.discard() }

    /// Imports a path or an http(s) URL.
    public func importInput(_ input: String) async throws {
        report.sources.append(input)
        if let url = URL(string: input), url.scheme == "http" || url.scheme == "https" {
            let data = try await downloader.fetch(url)
            try importData(data, source: input, feedName: "osv:\(input)")
            return
        }
        let url = URL(fileURLWithPath: input)
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw AdvisoryStoreError.unreadableInput(source: input, reason: "no such file or directory")
        }
        if isDirectory.boolValue {
            try importDirectory(url)
        } else {
            let head = try readHead(url)
            if ZipReader.isZip(head) {
                try importZip(url, source: input, feedName: "osv:\(input)")
            } else {
                let data: Data
                do { data = try Data(contentsOf: url) } catch {
                    throw AdvisoryStoreError.unreadableInput(source: input, reason: error.localizedDescription)
                }
                try importData(data, source: input, feedName: "osv:\(input)")
            }
        }
    }

    /// Imports OSV records from an `all.zip` already fetched (used by `vigil db update`).
    func importZipData(_ data: Data, source: String, feedName: String) throws -> String? {
        let scratch = URL(fileURLWithPath: builder.livePath + ".download-\(UUID().uuidString).zip")
        try data.write(to: scratch)
        defer { try? FileManager.default.removeItem(at: scratch) }
        return try importZip(scratch, source: source, feedName: feedName)
    }

    /// Imports one OSV record already fetched (incremental updates).
    func importRecordData(_ data: Data, source: String) throws -> String? {
        var newest: String?
        try builder.write { db in newest = try storeRecord(data, source: source, db: db) }
        return newest
    }

    var databaseBuilder: AdvisoryDatabaseBuilder { builder }

    // MARK: Inputs

    private func readHead(_ url: URL) throws -> Data {
        guard let handle = try? FileHandle(forReadingFrom: url) else {
            throw AdvisoryStoreError.unreadableInput(source: url.path, reason: "cannot be opened")
        }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 4096)) ?? Data()
    }

    /// Every `*.json` file below `url` (symbolic links are not followed).
    private func importDirectory(_ url: URL) throws {
        guard let walker = FileManager.default.enumerator(at: url, includingPropertiesForKeys: [.isRegularFileKey, .isSymbolicLinkKey]) else {
            throw AdvisoryStoreError.unreadableInput(source: url.path, reason: "cannot be listed")
        }
        var files: [URL] = []
        for case let file as URL in walker where file.pathExtension == "json" {
            let values = try? file.resourceValues(forKeys: [.isRegularFileKey, .isSymbolicLinkKey])
            if values?.isRegularFile == true && values?.isSymbolicLink != true { files.append(file) }
        }
        files.sort { $0.path < $1.path }
        var newest: String?
        try builder.write { db in
            for (n, file) in files.enumerated() {
                guard let data = try? Data(contentsOf: file) else {
                    report.malformed.append("\(file.path): unreadable")
                    continue
                }
                newest = later(newest, try storeRecord(data, source: file.path, db: db))
                if n % 1000 == 999 { progress(url.path, n + 1) }
            }
            try builder.setFeed("osv:\(url.path)", location: url.path, records: files.count, version: nil, cursor: newest, in: db)
        }
        progress(url.path, files.count)
    }

    @discardableResult
    private func importZip(_ url: URL, source: String, feedName: String) throws -> String? {
        let reader = try ZipReader(url: url, limits: limits)
        var newest: String?
        var count = 0
        try builder.write { db in
            // Pipelined: while one batch is decoded on the other cores, the previous one is stored.
            var batch: [(source: String, data: Data)] = []
            var inFlight: DecodingBatch?
            func storeInFlight() throws {
                guard let done = inFlight else { return }
                for (item, decoded) in zip(done.items, done.wait()) {
                    newest = later(newest, try store(decoded, raw: item.data, source: item.source, db: db))
                }
                count += done.items.count
                inFlight = nil
                progress(source, count)
            }
            func flush() throws {
                let next = DecodingBatch(batch)
                batch.removeAll(keepingCapacity: true)
                try storeInFlight()
                inFlight = next
            }
            try reader.forEachFile { path, contents in
                guard path.hasSuffix(".json") else { return }
                batch.append(("\(source)!\(path)", contents))
                if batch.count == Self.batchSize { try flush() }
            }
            try flush()
            try storeInFlight()
            try builder.setFeed(feedName, location: source, records: count, version: nil, cursor: newest, in: db)
        }
        progress(source, count)
        return newest
    }

    /// Recognises a non-zip input by content.
    private func importData(_ data: Data, source: String, feedName: String) throws {
        if Gzip.isGzip(data) {
            try importData(try Gzip.decompress(data, source: source, limit: limits.maxEntrySize), source: source, feedName: feedName)
        } else if ZipReader.isZip(data) {
            _ = try importZipData(data, source: source, feedName: feedName)
        } else if KEVCatalog.looksLike(data) {
            let (catalog, skipped) = try KEVCatalog.decode(data, source: source)
            report.malformed += skipped
            try builder.write { db in try builder.replaceKEV(catalog, location: source, in: db) }
            report.kevEntries = catalog.vulnerabilities.count
        } else if EPSSScores.looksLike(data) {
            let (scores, skipped) = try EPSSScores.parse(data, source: source)
            report.malformed += skipped
            try builder.write { db in try builder.replaceEPSS(scores, location: source, in: db) }
            report.epssScores = scores.scores.count
        } else if let first = data.first(where: { !($0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09) }), first == UInt8(ascii: "{") || first == UInt8(ascii: "[") {
            try builder.write { db in
                var newest: String?
                var count = 0
                if first == UInt8(ascii: "[") {
                    guard let array = try? JSONSerialization.jsonObject(with: data) as? [Any] else {
                        throw AdvisoryStoreError.unreadableInput(source: source, reason: "not valid JSON")
                    }
                    for (n, element) in array.enumerated() {
                        let raw = (try? JSONSerialization.data(withJSONObject: element)) ?? Data()
                        newest = later(newest, try storeRecord(raw, source: "\(source)[\(n)]", db: db))
                    }
                    count = array.count
                } else {
                    newest = try storeRecord(data, source: source, db: db)
                    count = 1
                }
                try builder.setFeed(feedName, location: source, records: count, version: nil, cursor: newest, in: db)
            }
        } else {
            throw AdvisoryStoreError.unrecognisedInput(source: source)
        }
    }

    /// Records decoded together on all cores before they are stored one by one.
    private static let batchSize = 512

    /// Decodes records in parallel (decoding dominates an import; SQLite writes stay on one thread).
    fileprivate static func decodeConcurrently(_ batch: [(source: String, data: Data)]) -> [Result<OSVRecord, AdvisoryError>] {
        let results = UnsafeMutableBufferPointer<Result<OSVRecord, AdvisoryError>?>.allocate(capacity: batch.count)
        results.initialize(repeating: nil)
        defer { results.deallocate() }
        let shared = SendableBuffer(results)
        DispatchQueue.concurrentPerform(iterations: batch.count) { k in
            shared.buffer[k] = Result { () throws(AdvisoryError) -> OSVRecord in try OSVRecord.decode(batch[k].data, source: batch[k].source) }
        }
        return results.map { $0 ?? .failure(.malformedRecord(source: "", reason: "not decoded")) }
    }

    /// Decodes and stores one record; a malformed one is reported and skipped.
    /// - Returns: the record's `modified` when it was stored, for incremental cursors.
    private func storeRecord(_ data: Data, source: String, db: Database) throws -> String? {
        try store(Result { () throws(AdvisoryError) -> OSVRecord in try OSVRecord.decode(data, source: source) }, raw: data, source: source, db: db)
    }

    private func store(_ decoded: Result<OSVRecord, AdvisoryError>, raw data: Data, source: String, db: Database) throws -> String? {
        let record: OSVRecord
        switch decoded {
        case let .success(r): record = r
        case let .failure(error):
            report.malformed.append(error.description)
            return nil
        }
        if let entry = record.affected?.first(where: { !StoredVersions.canStore($0.affectedVersions) }) {
            report.malformed.append("\(source): malformed OSV record: a version of \(entry.package?.name ?? "a package") contains a tab or newline")
            return nil
        }
        if try builder.upsert(record, raw: data, source: source, in: db) {
            report.records += 1
        } else {
            report.unchanged += 1
        }
        return record.modified
    }
}

/// The later of two optional RFC 3339 timestamps (compared as instants, not text).
func later(_ a: String?, _ b: String?) -> String? {
    guard let a else { return b }
    guard let b else { return a }
    return (OSVTimestamp.parse(b) ?? 0) > (OSVTimestamp.parse(a) ?? 0) ? b : a
}

/// Lets `concurrentPerform` workers write disjoint slots of one buffer.
private struct SendableBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// A batch of records being decoded on a background queue.
private final class DecodingBatch: @unchecked Sendable {
    let items: [(source: String, data: Data)]
    private var results: [Result<OSVRecord, AdvisoryError>] = []
    private let group = DispatchGroup()

    init(_ items: [(source: String, data: Data)]) {
        self.items = items
        DispatchQueue.global().async(group: group) { [self] in
            results = AdvisoryImporter.decodeConcurrently(items)
        }
    }

    /// The decoded records, in order, once decoding is done.
    func wait() -> [Result<OSVRecord, AdvisoryError>] {
        group.wait()
        return results
    }
}
