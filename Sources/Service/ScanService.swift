import Advisories
import AdvisoryStore
import Findings
import Foundation
import Inventory
import Logging
import Matching
import Storage
import VigilCore

/// What Vigil keeps per resource to evaluate it again without its artifact: the inventory, the
/// resource as findings name it, and its coverage details.
public struct ResourceRecord: Codable, Sendable {
    public var inventory: Inventory
    public var resource: Resource
    /// `AWS_EC2_INSTANCE`, `AWS_ECR_CONTAINER_IMAGE`, `AWS_LAMBDA_FUNCTION`, ...
    public var coverageType: String
    /// The coverage's `resourceMetadata` (inspector2 `ResourceScanMetadata` JSON).
    public var metadata: JSONValue?
    public var scanMode: String?

    public init(inventory: Inventory, resource: Resource, coverageType: String, metadata: JSONValue? = nil, scanMode: String? = nil) {
        self.inventory = inventory
        self.resource = resource
        self.coverageType = coverageType
        self.metadata = metadata
        self.scanMode = scanMode
    }
}

/// The scanning engine of `vigil serve`: a pool of workers over the store's durable job queue, and
/// a watcher that re-evaluates every stored inventory when the advisory database changes.
///
/// Jobs are idempotent: evaluating a resource reads its stored record and reconciles its findings
/// in one transaction, so a job run twice (a worker killed after writing, before completing) gives
/// the same findings once.
public final class ScanService: Sendable {
    public let store: ServiceStore
    public let dataDirectory: URL
    let logger: Logger
    let workers: Int
    let advisories: AdvisoryState
    /// Stored inventories already decoded (what a re-evaluation of every resource would otherwise
    /// decode again).
    let records = RecordCache(packages: 500_000)
    /// How long a leased job may run before another worker takes it over (a worker that died
    /// leaves its job leased until then).
    let lease: TimeInterval
    let maxAttempts = 5

    /// How long an agent may stay silent before its host counts as unmanaged.
    let heartbeatTimeout: TimeInterval
    /// Advisory updates from feeds or mirrors: every `interval` seconds (nil: only when asked
    /// through the API), the first at once when there is no data yet (only when scheduled, so a
    /// server told not to update never reaches out on its own).
    let updates: (updater: AdvisoryUpdater, interval: TimeInterval?)?
    /// An update asked for through the API, not yet started.
    let updateRequested = Flag()

    /// How often every registry is listed (nil: only when it is added).
    let registrySyncInterval: TimeInterval?

    public init(store: ServiceStore, dataDirectory: URL, workers: Int = 2, lease: TimeInterval = 120, heartbeatTimeout: TimeInterval = 1800,
                registrySyncInterval: TimeInterval? = 3600, updates: (updater: AdvisoryUpdater, interval: TimeInterval?)? = nil, logger: Logger) {
        self.registrySyncInterval = registrySyncInterval
        self.updates = updates
        self.lease = lease
        self.heartbeatTimeout = heartbeatTimeout
        self.store = store
        self.dataDirectory = dataDirectory
        self.workers = max(1, workers)
        self.logger = logger
        advisories = AdvisoryState(path: dataDirectory.appending(path: AdvisoryDatabase.fileName).path)
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    // MARK: Running

    /// Runs the workers and the advisory watcher until the task is cancelled.
    public func run() async {
        await withTaskGroup(of: Void.self) { group in
            group.addTask { await self.watchAdvisories() }
            group.addTask { await self.scheduleUpdates() }
            group.addTask { await self.scheduleRegistrySyncs() }
            group.addTask { await self.sweepExpired() }
            group.addTask { await self.scheduleHostScans() }
            for n in 0..<workers { group.addTask { await self.work(n) } }
        }
    }

    func work(_ n: Int) async {
        while !Task.isCancelled {
            do {
                if let job = try store.claim(lease: lease) {
                    await perform(job)
                    continue
                }
            } catch {
                logger.error("job queue unavailable", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(50))
        }
    }

    func perform(_ job: ServiceStore.Job) async {
        let started = Date()
        do {
            try await run(job)
            try store.complete(job)
            logger.info("job done", metadata: ["kind": "\(job.kind)", "key": "\(job.key)", "ms": "\(Int(Date().timeIntervalSince(started) * 1000))"])
        } catch {
            // Exponential backoff: 2, 4, 8, 16 s.
            let retry = pow(2, Double(job.attempts))
            logger.warning("job failed", metadata: ["kind": "\(job.kind)", "key": "\(job.key)", "attempt": "\(job.attempts)", "error": "\(error)"])
            try? store.fail(job, error: "\(error)", retryAfter: retry, maxAttempts: maxAttempts)
        }
    }

    struct EvaluatePayload: Codable {
        var account: String
        var region: String
        var resourceId: String
    }

    func run(_ job: ServiceStore.Job) async throws {
        switch job.kind {
        case "evaluate":
            let payload = try JSONDecoder().decode(EvaluatePayload.self, from: Data(job.payload.utf8))
            try evaluate(account: payload.account, region: payload.region, resourceID: payload.resourceId)
        case "scan-image":
            let payload = try JSONDecoder().decode(ImagePayload.self, from: Data(job.payload.utf8))
            try await scanImage(payload)
        case "scan-host":
            try scanHost(job.payload)
        case "sync-registry":
            let payload = try JSONDecoder().decode(RegistrySyncPayload.self, from: Data(job.payload.utf8))
            try await syncRegistry(payload.registry)
        case "scan-function":
            let payload = try JSONDecoder().decode(FunctionPayload.self, from: Data(job.payload.utf8))
            try scanFunction(payload)
        default:
            throw ServiceError("unknown job kind \(job.kind)")
        }
    }

    /// Queues (re-)evaluation of one resource's stored record.
    public func enqueueEvaluation(account: String, region: String, resourceID: String) throws {
        try enqueueEvaluations([(account, region, resourceID)])
    }

    /// Queues (re-)evaluation of many resources in one transaction.
    public func enqueueEvaluations(_ keys: [(account: String, region: String, resourceID: String)]) throws {
        try store.enqueue(try keys.map { key in
            let payload = try Self.encoder.encode(EvaluatePayload(account: key.account, region: key.region, resourceId: key.resourceID))
            return ("evaluate", "evaluate:\(key.account):\(key.region):\(key.resourceID)", String(decoding: payload, as: UTF8.self))
        })
    }

    /// A resource's stored record, decoded once and then kept (see `RecordCache`); nil when unknown.
    func storedRecord(account: String, region: String, resourceID: String) throws -> ResourceRecord? {
        guard let document = try store.inventory(account: account, region: region, resourceID: resourceID) else { return nil }
        return try records.record("\(account)\u{0}\(region)\u{0}\(resourceID)", document: document)
    }

    /// Stores a resource's record (its coverage pending until the evaluation) and queues evaluation.
    public func submit(_ record: ResourceRecord, account: String, region: String) throws {
        let existing = try store.resource(account: account, region: region, resourceID: record.resource.id)
        let coverage = try coverageDocument(record, account: account, status: ("ACTIVE", "PENDING_INITIAL_SCAN"), lastScannedAt: nil,
                                            previous: existing?.document)
        try store.record(resource: .init(accountID: account, region: region, resourceID: record.resource.id, resourceType: record.coverageType,
                                         document: coverage),
                         findings: [], inventory: String(decoding: try Self.encoder.encode(record), as: UTF8.self))
        try enqueueEvaluation(account: account, region: region, resourceID: record.resource.id)
    }

    // MARK: Evaluation

    /// The resource-type switch (`Enable` / `Disable`) a coverage type depends on.
    static func scanSwitch(_ coverageType: String) -> String {
        switch coverageType {
        case "AWS_EC2_INSTANCE": "EC2"
        case "AWS_LAMBDA_FUNCTION": "LAMBDA"
        case "CODE_REPOSITORY": "CODE_REPOSITORY"
        default: "ECR"
        }
    }

    /// Matches a resource's stored inventory and reconciles its findings (one transaction). With its
    /// resource type disabled, its findings close; with no advisory data yet, it waits in
    /// PENDING_INITIAL_SCAN (the watcher queues it again when data arrives).
    ///
    /// Only what changed is built and written: a finding whose fingerprint (what it is made from)
    /// is the one stored, and which is still open, just has its last observation moved; the rest
    /// are built, reconciled with their stored documents and rewritten.
    public func evaluate(account: String, region: String, resourceID: String) throws {
        guard let record = try storedRecord(account: account, region: region, resourceID: resourceID) else { return }
        let previous = try store.resource(account: account, region: region, resourceID: resourceID)?.document
        let now = Date()
        let enabled = try store.status(account: account, region: region)[Self.scanSwitch(record.coverageType)] == "ENABLED"
        var findings: [Finding] = []
        var fingerprints: [String: String] = [:]
        var observedAt: Double? = nil
        let status: (String, String)
        var scanned: Date? = nil
        if !enabled {
            findings = Reconciler.closeAll(try Self.decode(store.findings(account: account, region: region, resourceID: resourceID)), now: now)
            status = ("INACTIVE", "PENDING_DISABLE")
        } else if let ends = try eligibilityEnds(record, account: account, region: region), ends <= now.timeIntervalSince1970 {
            findings = Reconciler.closeAll(try Self.decode(store.findings(account: account, region: region, resourceID: resourceID)), now: now)
            status = ("INACTIVE", "SCAN_ELIGIBILITY_EXPIRED")
        } else if let (database, index, cache) = try advisories.current() {
            let matches = try Matcher(database: database, index: index).matches(record.inventory.packages).matches
            let builder = FindingBuilder(database: database, cache: cache)
            let context = FindingBuilder.Context(resource: record.resource, accountID: account, region: region, now: now)
            let pending = try builder.pending(for: matches, context: context)
            let states = try store.findingStates(account: account, region: region, resourceID: resourceID)
            let stored = Dictionary(states.map { ($0.arn, $0) }, uniquingKeysWith: { a, _ in a })
            let present = Set(pending.map(\.findingArn))
            let rebuild = pending.filter { p in
                guard let old = stored[p.findingArn] else { return true }
                return old.status == "CLOSED" || old.fingerprint != p.fingerprint
            }
            // Rebuilt findings are reconciled with what the store's columns say of them; only rows
            // written without those columns, and open findings no longer present (to close them),
            // are decoded.
            var previous: [String: Reconciler.Previous] = [:]
            for old in states {
                if let first = old.firstObservedAt, let content = old.content {
                    previous[old.arn] = .init(status: old.status, firstObservedAt: first, updatedAt: old.updatedAt, content: content)
                }
            }
            let rebuilt = Set(rebuild.map(\.findingArn))
            let closing = Set(states.filter { !present.contains($0.arn) && $0.status != "CLOSED" }.map(\.arn))
            let decoded = try Self.decode(store.findings(arns: states.filter { closing.contains($0.arn) || (rebuilt.contains($0.arn) && previous[$0.arn] == nil) }.map(\.arn)))
            for old in decoded where !closing.contains(old.findingArn) { previous[old.findingArn] = Reconciler.Previous(old) }
            findings = rebuild.map { Reconciler.observe(builder.finding($0, context: context), previous: previous[$0.findingArn], now: now) }
            findings += decoded.filter { closing.contains($0.findingArn) }.map { Reconciler.close($0, now: now) }
            for p in pending { fingerprints[p.findingArn] = p.fingerprint }
            for old in states where fingerprints[old.arn] == nil { fingerprints[old.arn] = old.fingerprint }
            observedAt = now.timeIntervalSince1970.rounded()
            status = ("ACTIVE", record.inventory.operatingSystem == nil && record.coverageType == "AWS_EC2_INSTANCE" ? "UNSUPPORTED_OS" : "SUCCESSFUL")
            scanned = now
        } else {
            status = ("ACTIVE", "PENDING_INITIAL_SCAN")
        }
        let stored = try findings.map { f in
            try Self.stored(f, account: account, region: region, resourceID: resourceID, resourceType: record.coverageType, fingerprint: fingerprints[f.findingArn])
        }
        let coverage = try coverageDocument(record, account: account, status: status, lastScannedAt: scanned, previous: previous)
        try store.record(resource: .init(accountID: account, region: region, resourceID: resourceID, resourceType: record.coverageType, document: coverage),
                         findings: stored, inventory: nil, observedAt: observedAt)
    }

    /// The open advisory database (nil before the first import or update).
    public func advisoryDatabase() throws -> AdvisoryDatabase? { try advisories.current()?.0 }

    /// An inventory's findings against the open advisory database, nothing stored (ScanSbom); nil
    /// when there is no database yet.
    public func assess(_ inventory: Inventory, resource: Resource, account: String, region: String) throws -> [Finding]? {
        guard let (database, index, cache) = try advisories.current() else { return nil }
        let matches = try Matcher(database: database, index: index).matches(inventory.packages).matches
        return try FindingBuilder(database: database, cache: cache).findings(for: matches, context: .init(resource: resource, accountID: account, region: region))
    }

    /// A finding as the store keeps it: its document and the columns it is selected and reconciled by.
    static func stored(_ f: Finding, account: String, region: String, resourceID: String, resourceType: String, fingerprint: String?) throws -> ServiceStore.StoredFinding {
        ServiceStore.StoredFinding(arn: f.findingArn, accountID: account, region: region, resourceID: resourceID, resourceType: resourceType,
                                   vulnerabilityID: f.packageVulnerabilityDetails?.vulnerabilityId ?? "", severity: f.severity, status: f.status,
                                   document: String(decoding: try encoder.encode(f), as: UTF8.self), fingerprint: fingerprint,
                                   firstObservedAt: f.firstObservedAt, findingUpdatedAt: f.updatedAt, content: Reconciler.content(f))
    }

    /// Stored findings decoded, with the last observation the store keeps beside each document.
    static func decode(_ stored: [ServiceStore.StoredFinding]) throws -> [Finding] {
        let decoder = JSONDecoder()
        return try stored.map { s in
            var finding = try decoder.decode(Finding.self, from: Data(s.document.utf8))
            if let last = s.lastObservedAt { finding.lastObservedAt = last }
            return finding
        }
    }

    /// When a resource stops being scanned, as Inspector decides it: an image `rescanDuration` (the
    /// account's ECR configuration; LIFETIME: never) after its push or `pullDateRescanDuration` after
    /// its last pull (the registry's pull notifications), whichever is later; a function 90 days
    /// after its last update. nil: never.
    func eligibilityEnds(_ record: ResourceRecord, account: String, region: String) throws -> Double? {
        switch record.coverageType {
        case "AWS_ECR_CONTAINER_IMAGE":
            guard let pushed = record.resource.details?.awsEcrContainerImage?.pushedAt else { return nil }
            var saved: [String: Any] = [:]
            if let setting = try store.setting(account: account, region: region, name: "ecrConfiguration") {
                saved = (try? JSONSerialization.jsonObject(with: Data(setting.value.utf8)) as? [String: Any]) ?? [:]
            }
            let days: [String: Double] = ["DAYS_14": 14, "DAYS_30": 30, "DAYS_60": 60, "DAYS_90": 90, "DAYS_180": 180]
            guard let rescan = days[saved["rescanDuration"] as? String ?? "LIFETIME"] else { return nil }
            var ends = pushed + rescan * 86_400
            // Or as long after its last pull as the pull-date duration says (default 90 days).
            if let pulled = try store.setting(account: account, region: region, name: "pulled:\(record.resource.id)").flatMap({ Double($0.value) }),
               let window = days[saved["pullDateRescanDuration"] as? String ?? "DAYS_90"] {
                ends = max(ends, pulled + window * 86_400)
            }
            return ends
        case "AWS_LAMBDA_FUNCTION":
            return record.resource.details?.awsLambdaFunction?.lastModifiedAt.map { $0 + 90 * 86_400 }
        default:
            return nil
        }
    }

    /// A resource leaves coverage (a deleted image): its findings close and its coverage and
    /// inventory are removed, in one transaction.
    public func retire(account: String, region: String, resourceID: String) throws {
        let closed = Reconciler.closeAll(try Self.decode(store.findings(account: account, region: region, resourceID: resourceID)), now: Date())
        let resourceType = try store.resource(account: account, region: region, resourceID: resourceID)?.resourceType ?? ""
        try store.remove(account: account, region: region, resourceID: resourceID, closing: try closed.map { f in
            try Self.stored(f, account: account, region: region, resourceID: resourceID, resourceType: resourceType, fingerprint: nil)
        })
    }

    /// Every `registrySyncInterval`: every registry is listed.
    func scheduleRegistrySyncs() async {
        guard let interval = registrySyncInterval else { return }
        while !Task.isCancelled {
            try? await Task.sleep(for: .seconds(interval))
            do {
                for name in try registryNames() { try enqueueRegistrySync(name) }
            } catch {
                logger.error("registry listing not queued", metadata: ["error": "\(error)"])
            }
        }
    }

    /// Every ten minutes: resources whose scan eligibility ended are evaluated (and so leave
    /// scanning: their findings close, their coverage says SCAN_ELIGIBILITY_EXPIRED).
    func sweepExpired() async {
        while !Task.isCancelled {
            do {
                let now = Date().timeIntervalSince1970
                for key in try store.inventoryKeys() {
                    guard let record = try storedRecord(account: key.account, region: key.region, resourceID: key.resourceID) else { continue }
                    guard let ends = try eligibilityEnds(record, account: key.account, region: key.region), ends <= now,
                          let coverage = try store.resource(account: key.account, region: key.region, resourceID: key.resourceID),
                          !coverage.document.contains("SCAN_ELIGIBILITY_EXPIRED") else { continue }
                    try enqueueEvaluation(account: key.account, region: key.region, resourceID: key.resourceID)
                }
            } catch {
                logger.error("expiry sweep failed", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(600))
        }
    }

    /// The inspector2 `CoveredResource` JSON for a record.
    func coverageDocument(_ record: ResourceRecord, account: String, status: (String, String), lastScannedAt: Date?, previous: String?) throws -> String {
        var object: [String: JSONValue] = [
            "resourceType": .string(record.coverageType), "resourceId": .string(record.resource.id), "accountId": .string(account),
            "scanType": .string("PACKAGE"), "scanStatus": .object(["statusCode": .string(status.0), "reason": .string(status.1)]),
        ]
        if let metadata = record.metadata { object["resourceMetadata"] = metadata }
        if let mode = record.scanMode { object["scanMode"] = .string(mode) }
        if let lastScannedAt {
            object["lastScannedAt"] = .number(lastScannedAt.timeIntervalSince1970.rounded())
        } else if let previous, let old = try? JSONDecoder().decode([String: JSONValue].self, from: Data(previous.utf8)), let last = old["lastScannedAt"] {
            object["lastScannedAt"] = last
        }
        return String(decoding: try Self.encoder.encode(object), as: UTF8.self)
    }

    /// Queues evaluation of every resource of the given switches (after Enable or Disable).
    public func resourceTypesChanged(account: String, region: String) throws {
        try enqueueEvaluations(try store.inventoryKeys().filter { $0.account == account && $0.region == region })
    }

    // MARK: Advisory updates

    /// Runs `vigil db update` in the background: at once when there is no advisory data (first
    /// start), then every `interval`. Without network the server keeps serving and collecting
    /// inventories, says how to load data by hand, and tries again; progress and the last outcome
    /// are kept for `vigil db status`.
    func scheduleUpdates() async {
        guard let (updater, interval) = updates else { return }
        while !Task.isCancelled {
            let last = (try? store.setting(account: "", region: "", name: "advisories.updatedAt")).flatMap { $0.flatMap { Double($0.value) } }
            let hasData = FileManager.default.fileExists(atPath: dataDirectory.appending(path: AdvisoryDatabase.fileName).path)
            let scheduled = interval.map { interval in !hasData || last.map { Date().timeIntervalSince1970 - $0 >= interval } ?? true } ?? false
            if updateRequested.take() || scheduled {
                logger.info("advisory update started")
                do {
                    let report = try await updater.run(dataDirectory: dataDirectory) { [store, logger] progress in
                        logger.info("advisory update", metadata: ["progress": "\(progress)"])
                        try? store.setSetting(account: "", region: "", name: "advisories.update", value: "running: \(progress)")
                    }
                    try store.setSetting(account: "", region: "", name: "advisories.updatedAt", value: "\(Date().timeIntervalSince1970)")
                    try store.setSetting(account: "", region: "", name: "advisories.update", value: "done: \(report.records) records, \(report.kevEntries ?? 0) KEV entries, \(report.epssScores ?? 0) EPSS scores")
                    logger.info("advisory update done", metadata: ["records": "\(report.records)"])
                } catch {
                    let advice = hasData ? "serving with the advisory data already loaded" : "no advisory data yet: inventories are kept and scanned once data arrives; without network, load it with `vigil db import PATH…` (OSV all.zip files, the KEV JSON, the EPSS CSV)"
                    logger.warning("advisory update failed; \(advice)", metadata: ["error": "\(error)"])
                    try? store.setSetting(account: "", region: "", name: "advisories.update", value: "failed: \(error) (\(advice))")
                    await pause(min(interval ?? 900, 900))
                    continue
                }
            }
            await pause(min(interval ?? 60, 60))
        }
    }

    /// Sleeps up to `seconds`, waking early when an update is asked for.
    private func pause(_ seconds: TimeInterval) async {
        let deadline = Date().addingTimeInterval(seconds)
        while !Task.isCancelled, Date() < deadline, !updateRequested.isSet {
            try? await Task.sleep(for: .milliseconds(250))
        }
    }

    /// Asks for an advisory update now (the API's on-demand update); false when this server has no
    /// feeds to update from.
    public func requestUpdate() -> Bool {
        guard updates != nil else { return false }
        updateRequested.set()
        return true
    }

    /// Twice a second (a stat of one file): when `advisories.sqlite` was replaced (an update or import), every stored
    /// inventory is queued for evaluation against it.
    func watchAdvisories() async {
        while !Task.isCancelled {
            do {
                // Once per database version: a restart with the same file re-evaluates nothing.
                // The identity of the file just opened, not a new look at the path: a file replaced
                // again meanwhile is opened (and evaluated) on the next turn.
                if let identity = try advisories.refresh(),
                   try store.setting(account: "", region: "", name: "advisories.evaluated")?.value != identity {
                    let keys = try store.inventoryKeys()
                    logger.info("advisory database changed; re-evaluating", metadata: ["resources": "\(keys.count)"])
                    try enqueueEvaluations(keys)
                    try store.setSetting(account: "", region: "", name: "advisories.evaluated", value: identity)
                }
            } catch {
                logger.error("advisory database unreadable", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .milliseconds(500))
        }
    }
}

/// Decoded resource records by resource, each checked against the stored document it came from (so
/// a record replaced by a new report is never served stale) and bounded by the number of packages
/// held: past the bound the least recently used tenth is dropped.
final class RecordCache: @unchecked Sendable {
    private var entries: [String: (hash: Int, record: ResourceRecord, packages: Int, used: UInt64)] = [:]
    private var held = 0
    private var clock: UInt64 = 0
    private let limit: Int
    private let lock = NSLock()

    init(packages limit: Int) { self.limit = limit }

    func record(_ key: String, document: String) throws -> ResourceRecord {
        let hash = document.hashValue
        let hit: ResourceRecord? = lock.withLock {
            guard let entry = entries[key], entry.hash == hash else { return nil }
            clock += 1
            entries[key]?.used = clock
            return entry.record
        }
        if let hit { return hit }
        let record = try JSONDecoder().decode(ResourceRecord.self, from: Data(document.utf8))
        let packages = record.inventory.packages.count
        guard packages <= limit / 10 else { return record }
        lock.withLock {
            clock += 1
            if let old = entries.updateValue((hash, record, packages, clock), forKey: key) { held -= old.packages }
            held += packages
            if held > limit {
                for (key, entry) in entries.sorted(by: { $0.value.used < $1.value.used }).prefix(max(1, entries.count / 10)) {
                    entries[key] = nil
                    held -= entry.packages
                }
            }
        }
        return record
    }
}

/// A flag set from one task and taken by another.
final class Flag: @unchecked Sendable {
    private var value = false
    private let lock = NSLock()

    func set() { lock.withLock { value = true } }
    var isSet: Bool { lock.withLock { value } }

    /// Whether it was set, clearing it.
    func take() -> Bool {
        lock.withLock {
            defer { value = false }
            return value
        }
    }
}

public struct ServiceError: Error, CustomStringConvertible {
    public let description: String
    public init(_ description: String) { self.description = description }
}

/// The advisory database a server matches with, reopened (and its entries loaded into memory)
/// whenever the file is replaced.
final class AdvisoryState: @unchecked Sendable {
    let path: String
    private var opened: (database: AdvisoryDatabase, index: AffectedIndex, cache: AdvisoryCache, identity: String)?
    private let lock = NSLock()

    init(path: String) { self.path = path }

    /// The file's identity: inode, size and modification time (updates replace it by rename).
    func identity() -> String? {
        var info = stat()
        guard stat(path, &info) == 0 else { return nil }
        return "\(info.st_ino):\(info.st_size):\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)"
    }

    /// One refresh at a time: loading the entries takes a while and is done once per file.
    private let refreshing = NSLock()

    /// Reopens the database when the file changed; the identity it was opened under when it did.
    /// (A file replaced while it is being opened is opened again on the next call: the identity
    /// is taken before opening.)
    func refresh() throws -> String? {
        refreshing.lock()
        defer { refreshing.unlock() }
        let now = identity()
        if lock.withLock({ opened?.identity }) == now { return nil }
        guard let now else {
            lock.withLock { opened = nil }
            return nil
        }
        let database = try AdvisoryDatabase(path: path)
        let index = AffectedIndex()
        try index.preload(database)
        // Advisories decoded for the old file are reused where the new one did not revise them.
        lock.withLock { opened = (database, index, AdvisoryCache(previous: opened?.cache), now) }
        return now
    }

    /// The open database, opening it first if needed; nil when there is none yet.
    func current() throws -> (AdvisoryDatabase, AffectedIndex, AdvisoryCache)? {
        if let opened = lock.withLock({ opened }) { return (opened.database, opened.index, opened.cache) }
        _ = try refresh()
        return lock.withLock { opened.map { ($0.database, $0.index, $0.cache) } }
    }
}
