import Foundation
import Storage
import VigilCore

/// Every finding of the store in memory, in the few fields queries read (`IndexedFinding`), kept
/// current from the store's change feed: each query first reads the findings and resources written
/// since the feed position it last reached, so a query sees every write committed before it began.
/// Documents are read only for the page a query returns.
///
/// Suppression rules (SUPPRESS filters) are applied here: a finding whose stored status is ACTIVE
/// and that matches a rule in force is SUPPRESSED to every reader, and ACTIVE again as soon as no
/// rule in force matches it (a rule deleted, narrowed, or past its `vigil:expiresAt`). The stored
/// status is never rewritten, so lifting a rule needs no write.
final class FindingIndex: @unchecked Sendable {
    struct PartitionKey: Hashable { var account: String; var region: String }

    /// One account's findings in one region.
    final class Partition {
        var rows: [IndexedFinding] = []
        var positions: [String: Int] = [:]
        /// Each resource's last evaluation, shared by its findings.
        var clocks: [String: ResourceClock] = [:]
        /// The resource facts last built per resource id, reused while findings carry the same.
        var subjects: [String: Subject] = [:]
        var rules: [SuppressionRule] = []
        var rulesLoaded = false
        /// Each resource's rows (its findings' `lastObservedAt` moves with its clock).
        var rowsByResource: [String: [Int32]] = [:]
        /// Numbers for package names and resource ids (aggregations count into arrays by them).
        var packageCodes: [String: Int32] = [:]
        var resourceOrdinals: [String: Int32] = [:]

        func packageCode(_ name: String) -> Int32 {
            if let code = packageCodes[name] { return code }
            let code = Int32(packageCodes.count)
            packageCodes[name] = code
            return code
        }

        func resourceOrdinal(_ id: String) -> Int32 {
            if let ordinal = resourceOrdinals[id] { return ordinal }
            let ordinal = Int32(resourceOrdinals.count)
            resourceOrdinals[id] = ordinal
            return ordinal
        }
        /// Sorted views of the rows (`FindingViews`), and the rows changed since they were made:
        /// a changed row's entries in them are stale, so queries take it from here instead.
        var views: FindingViews?
        var dirty: [Int32] = []

        func markDirty(_ row: Int) {
            guard views != nil, !rows[row].dirty else { return }
            rows[row].dirty = true
            dirty.append(Int32(row))
        }

        /// The views, made again when many rows changed since they were made (their stale entries
        /// would cost more to skip than a rebuild).
        func currentViews() -> FindingViews {
            if let views, dirty.count <= max(20_000, rows.count / 20) { return views }
            for row in dirty { rows[Int(row)].dirty = false }
            dirty.removeAll()
            let fresh = FindingViews(rows: rows)
            views = fresh
            return fresh
        }

        func clock(_ id: String) -> ResourceClock {
            if let clock = clocks[id] { return clock }
            let clock = ResourceClock()
            clocks[id] = clock
            return clock
        }
    }

    let store: ServiceStore
    private var partitions: [PartitionKey: Partition] = [:]
    private var position: Int64 = 0
    private var strings = Interner()
    private let lock = NSLock()
    /// Set when filters change; rules are reloaded at the next query.
    private var staleRules: Set<PartitionKey> = []

    init(store: ServiceStore) { self.store = store }

    /// Runs `body` over a partition brought up to date, under the index's lock (queries are
    /// short; the first one after start loads every finding).
    func read<T>(account: String, region: String, now: Date = Date(), _ body: (Partition) throws -> T) throws -> T {
        lock.lock()
        defer { lock.unlock() }
        try catchUp()
        let key = PartitionKey(account: account, region: region)
        let partition = partitions[key] ?? Partition()
        partitions[key] = partition
        try applyRules(partition, key: key, now: now.timeIntervalSince1970)
        return try body(partition)
    }

    /// Brings the index up to date without a query (at start, so the first caller does not wait).
    func warm() throws {
        lock.lock()
        defer { lock.unlock() }
        try catchUp()
    }

    /// Filters of this account changed: its rules are read again at its next query.
    func filtersChanged(account: String, region: String) {
        lock.withLock { _ = staleRules.insert(PartitionKey(account: account, region: region)) }
    }

    // MARK: Change feed

    private func catchUp() throws {
        while true {
            let (findings, resources, reached) = try store.changes(after: position, limit: 20_000)
            let facets = Self.decode(findings)
            for (change, facet) in zip(findings, facets) {
                guard let facet else { continue }
                let key = PartitionKey(account: change.accountID, region: change.region)
                let partition = partitions[key] ?? Partition()
                partitions[key] = partition
                let row = IndexedFinding(facet, storedStatus: change.status, strings: &strings, partition: partition)
                row.status = partition.rules.isEmpty ? row.storedStatus : Self.effectiveStatus(row, rules: partition.rules, now: Date().timeIntervalSince1970)
                if let at = partition.positions[change.arn] {
                    // A row already listed as changed stays listed once.
                    row.dirty = partition.rows[at].dirty
                    partition.rows[at] = row
                    partition.markDirty(at)
                } else {
                    let at = partition.rows.count
                    partition.positions[change.arn] = at
                    partition.rows.append(row)
                    partition.markDirty(at)
                    for subject in row.subjects { partition.rowsByResource[subject.id, default: []].append(Int32(at)) }
                }
            }
            for change in resources {
                let key = PartitionKey(account: change.accountID, region: change.region)
                let partition = partitions[key] ?? Partition()
                partitions[key] = partition
                partition.clock(change.resourceID).observedAt = change.observedAt
                for row in partition.rowsByResource[change.resourceID] ?? [] { partition.markDirty(Int(row)) }
            }
            position = reached
            if findings.count < 20_000 { return }
        }
    }

    /// Documents decoded on every core (the first load reads every finding). A document that
    /// cannot be read is left out of the index (it cannot be filtered) and logged once.
    static func decode(_ changes: [ServiceStore.FindingChange]) -> [FindingFacets?] {
        let workers = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let chunk = (changes.count + workers - 1) / workers
        let parts = Slots<[FindingFacets?]>(count: workers)
        DispatchQueue.concurrentPerform(iterations: workers) { worker in
            let decoder = JSONDecoder()
            let range = min(changes.count, worker * chunk)..<min(changes.count, (worker + 1) * chunk)
            parts.set(worker, range.map { try? decoder.decode(FindingFacets.self, from: Data(changes[$0].document.utf8)) })
        }
        return parts.values.flatMap { $0 ?? [] }
    }

    // MARK: Suppression

    private func applyRules(_ partition: Partition, key: PartitionKey, now: Double) throws {
        var changed = false
        if !partition.rulesLoaded || staleRules.contains(key) {
            partition.rules = try store.filters(account: key.account, region: key.region).compactMap(SuppressionRule.init)
            partition.rulesLoaded = true
            staleRules.remove(key)
            changed = true
        }
        // A rule past its expiry stops suppressing at once.
        if partition.rules.contains(where: { $0.expiresAt.map { $0 <= now } ?? false }) {
            partition.rules.removeAll { $0.expiresAt.map { $0 <= now } ?? false }
            changed = true
        }
        guard changed else { return }
        partition.views = nil  // statuses change: orders by status are stale
        partition.dirty.removeAll()
        for i in partition.rows.indices {
            partition.rows[i].dirty = false
            partition.rows[i].status = Self.effectiveStatus(partition.rows[i], rules: partition.rules, now: now)
        }
    }

    static func effectiveStatus(_ row: IndexedFinding, rules: [SuppressionRule], now: Double) -> UInt8 {
        guard row.storedStatus == Status.active else { return row.storedStatus }
        return rules.contains { $0.matches(row, now: now) } ? Status.suppressed : Status.active
    }
}

/// A resource's last evaluation: an open finding's `lastObservedAt`.
final class ResourceClock { var observedAt: Double? }

/// A SUPPRESS filter in force: its criteria and (Vigil's extension) its expiry, the ISO-8601 time
/// in its `vigil:expiresAt` tag.
struct SuppressionRule {
    static let expiryTag = "vigil:expiresAt"
    var arn: String
    var predicate: FindingPredicate
    var expiresAt: Double?

    init?(_ stored: ServiceStore.StoredFilter) {
        guard let filter = try? JSONDecoder.inspector.decode(Inspector2.Filter.self, from: Data(stored.document.utf8)),
              filter.action == .suppress else { return nil }
        arn = stored.arn
        predicate = FindingPredicate(filter.criteria, statusField: .stored)
        expiresAt = filter.tags?[Self.expiryTag].flatMap(Self.parseExpiry)
    }

    static func parseExpiry(_ text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withFullDate]
        return formatter.date(from: text)?.timeIntervalSince1970
    }

    func matches(_ row: IndexedFinding, now: Double) -> Bool {
        if let expiresAt, expiresAt <= now { return false }
        return predicate.matches(row)
    }
}

extension JSONDecoder {
    /// Documents as the store keeps them (dates as seconds since 1970).
    static var inspector: JSONDecoder {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        return decoder
    }
}

/// Finding statuses and severities as small numbers, for fast comparison.
enum Status {
    static let active: UInt8 = 0, suppressed: UInt8 = 1, closed: UInt8 = 2
    static let names = ["ACTIVE", "SUPPRESSED", "CLOSED"]
    static func code(_ name: String) -> UInt8 { UInt8(names.firstIndex(of: name) ?? 0) }
}

/// The values a few keys can take, numbered (0 for no value, `other` for one outside the list), so
/// EQUALS and NOT_EQUALS filters on them compare numbers.
struct Vocabulary: Sendable {
    static let other: UInt8 = 255
    /// The codes of YES (`availability`) and of NETWORK_REACHABILITY (`findingTypes`).
    static let yes: UInt8 = 1, networkReachability: UInt8 = 1
    static let findingTypes = Vocabulary(["NETWORK_REACHABILITY", "PACKAGE_VULNERABILITY", "CODE_VULNERABILITY"])
    static let availability = Vocabulary(["YES", "NO", "PARTIAL"])
    static let resourceTypes = Vocabulary(["AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_ECR_REPOSITORY", "AWS_LAMBDA_FUNCTION", "CODE_REPOSITORY"])

    let names: [String]
    init(_ names: [String]) { self.names = names }

    func code(_ value: String?) -> UInt8 {
        guard let value else { return 0 }
        return names.firstIndex(of: value).map { UInt8($0 + 1) } ?? Self.other
    }
}

enum SeverityRank {
    static let names = ["UNTRIAGED", "INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"]
    static let medium: UInt8 = 3, high: UInt8 = 4, critical: UInt8 = 5
    static func code(_ name: String) -> UInt8 { UInt8(names.firstIndex(of: name) ?? 0) }
}

/// Equal strings made to share one storage (the index holds millions of copies of a few thousand).
struct Interner {
    private var table: [String: String] = [:]
    mutating func callAsFunction(_ s: String) -> String {
        if s.utf8.count <= 15 { return s }  // small strings are stored inline anyway
        if let known = table[s] { return known }
        table[s] = s
        return s
    }
    mutating func callAsFunction(_ s: String?) -> String? { s.map { self($0) } }
}

/// The parts of a finding document that queries filter, sort and group by.
struct FindingFacets: Decodable {
    struct Resource: Decodable, Equatable {
        struct Details: Decodable, Equatable {
            struct Image: Decodable, Equatable {
                var repositoryName: String
                var imageTags: [String]?
                var pushedAt: Double?
                var architecture: String?
                var imageHash: String
                var registry: String
                var lastInUseAt: Double?
                var inUseCount: Double?
                var platform: String?
            }
            struct Instance: Decodable, Equatable {
                var imageId: String?
                var platform: String?
                var vpcId: String?
                var subnetId: String?
            }
            struct Function: Decodable, Equatable {
                var functionName: String
                var runtime: String
                var executionRoleArn: String
                var layers: [String]?
                var lastModifiedAt: Double?
            }
            struct CodeRepository: Decodable, Equatable {
                var projectName: String?
                var providerType: String?
            }
            var awsEcrContainerImage: Image?
            var awsEc2Instance: Instance?
            var awsLambdaFunction: Function?
            var codeRepository: CodeRepository?
        }
        var type: String
        var id: String
        var tags: [String: String]?
        var details: Details?
    }
    struct Package: Decodable {
        var name: String
        var version: String
        var epoch: Double?
        var release: String?
        var arch: String?
        var sourceLayerHash: String?
        var sourceLambdaLayerArn: String?
        var filePath: String?
        /// The name's number in its partition (set by the index, not read).
        var code: Int32 = 0

        enum CodingKeys: String, CodingKey { case name, version, epoch, release, arch, sourceLayerHash, sourceLambdaLayerArn, filePath }
    }
    struct Vulnerability: Decodable {
        var vulnerabilityId: String
        var vulnerablePackages: [Package]?
        var source: String
        var relatedVulnerabilities: [String]?
        var vendorSeverity: String?
    }
    struct Network: Decodable {
        struct Range: Decodable { var begin: Int; var end: Int }
        var openPortRange: Range?
        var `protocol`: String?
    }
    struct Code: Decodable {
        struct File: Decodable { var filePath: String? }
        var detectorName: String?
        var detectorTags: [String]?
        var filePath: File?
    }
    struct Epss: Decodable { var score: Double? }
    var findingArn: String
    var awsAccountId: String
    var type: String
    var title: String?
    var severity: String
    var firstObservedAt: Double
    var lastObservedAt: Double
    var updatedAt: Double?
    var resources: [Resource]
    var inspectorScore: Double?
    var packageVulnerabilityDetails: Vulnerability?
    var networkReachabilityDetails: Network?
    var codeVulnerabilityDetails: Code?
    var fixAvailable: String?
    var exploitAvailable: String?
    var epss: Epss?
}

/// A resource as findings describe it, shared by the findings that describe it alike.
final class Subject {
    let facts: FindingFacets.Resource
    let clock: ResourceClock
    /// Multi-valued facts flattened once.
    let imageTags: [String]
    let layers: [String]
    let isImage: Bool
    let tagPairs: [String: String]

    /// The facts queries read most, kept as fields (reading one costs no copy of the others).
    let id: String
    let type: String
    let typeCode: UInt8
    let repositoryName: String?
    let imageHash: String?
    let registry: String?
    let architecture: String?
    let pushedAt: Double?
    let lastInUseAt: Double?
    let inUseCount: Double?
    let functionName: String?
    let runtime: String?
    let executionRoleArn: String?
    let lastModifiedAt: Double?
    let imageId: String?
    let platform: String?
    let vpcId: String?
    let subnetId: String?

    /// The resource's number in its partition.
    let ordinal: Int32

    init(_ facts: FindingFacets.Resource, clock: ResourceClock, ordinal: Int32) {
        self.facts = facts
        self.clock = clock
        self.ordinal = ordinal
        id = facts.id
        type = facts.type
        typeCode = Vocabulary.resourceTypes.code(facts.type)
        let image = facts.details?.awsEcrContainerImage, function = facts.details?.awsLambdaFunction, instance = facts.details?.awsEc2Instance
        repositoryName = image?.repositoryName
        imageHash = image?.imageHash
        registry = image?.registry
        architecture = image?.architecture
        pushedAt = image?.pushedAt
        lastInUseAt = image?.lastInUseAt
        inUseCount = image?.inUseCount
        functionName = function?.functionName
        runtime = function?.runtime
        executionRoleArn = function?.executionRoleArn
        lastModifiedAt = function?.lastModifiedAt
        imageId = instance?.imageId
        platform = instance?.platform
        vpcId = instance?.vpcId
        subnetId = instance?.subnetId
        imageTags = facts.details?.awsEcrContainerImage?.imageTags ?? []
        layers = facts.details?.awsLambdaFunction?.layers ?? []
        isImage = facts.details?.awsEcrContainerImage != nil
        tagPairs = facts.tags ?? [:]
    }

    var image: FindingFacets.Resource.Details.Image? { facts.details?.awsEcrContainerImage }
    var instance: FindingFacets.Resource.Details.Instance? { facts.details?.awsEc2Instance }
    var function: FindingFacets.Resource.Details.Function? { facts.details?.awsLambdaFunction }
    var codeRepository: FindingFacets.Resource.Details.CodeRepository? { facts.details?.codeRepository }
}

/// One finding as the index keeps it (a class: a query walks a million of them, and passing one on
/// costs one reference count, not one per field).
final class IndexedFinding {
    var arn: String
    var account: String
    var type: String
    var title: String?
    var severity: UInt8
    var severityName: String
    var storedStatus: UInt8
    /// The status readers see (stored, or SUPPRESSED by a rule).
    var status: UInt8
    /// Changed since the partition's views were made.
    var dirty = false
    var firstObservedAt: Double
    var documentLastObservedAt: Double
    var updatedAt: Double?
    var inspectorScore: Double?
    var epss: Double?
    var fixAvailable: String?
    var exploitAvailable: String?
    /// Codes of the finding type and of fix and exploit availability (`Vocabulary`).
    var typeCode: UInt8
    var fixCode: UInt8
    var exploitCode: UInt8
    var vulnerabilityId: String?
    var vulnerabilitySource: String?
    var vendorSeverity: String?
    var related: [String]
    var packages: [FindingFacets.Package]
    var portRange: (begin: Int, end: Int)?
    var networkProtocol: String?
    var detectorName: String?
    var detectorTags: [String]
    var codeFilePath: String?
    var subjects: [Subject]

    init(_ f: FindingFacets, storedStatus: String, strings: inout Interner, partition: FindingIndex.Partition) {
        arn = f.findingArn
        rank = Self.rank(f.findingArn)
        account = strings(f.awsAccountId)
        type = strings(f.type)
        title = strings(f.title)
        severity = SeverityRank.code(f.severity)
        severityName = strings(f.severity)
        self.storedStatus = Status.code(storedStatus)
        status = self.storedStatus
        firstObservedAt = f.firstObservedAt
        documentLastObservedAt = f.lastObservedAt
        updatedAt = f.updatedAt
        inspectorScore = f.inspectorScore
        epss = f.epss?.score
        fixAvailable = strings(f.fixAvailable)
        exploitAvailable = strings(f.exploitAvailable)
        typeCode = Vocabulary.findingTypes.code(f.type)
        fixCode = Vocabulary.availability.code(f.fixAvailable)
        exploitCode = Vocabulary.availability.code(f.exploitAvailable)
        let v = f.packageVulnerabilityDetails
        vulnerabilityId = strings(v?.vulnerabilityId)
        vulnerabilitySource = strings(v?.source)
        vendorSeverity = strings(v?.vendorSeverity)
        related = (v?.relatedVulnerabilities ?? []).map { strings($0) }
        packages = (v?.vulnerablePackages ?? []).map {
            FindingFacets.Package(name: strings($0.name), version: strings($0.version), epoch: $0.epoch, release: strings($0.release), arch: strings($0.arch),
                                  sourceLayerHash: strings($0.sourceLayerHash), sourceLambdaLayerArn: strings($0.sourceLambdaLayerArn),
                                  filePath: strings($0.filePath), code: partition.packageCode($0.name))
        }
        portRange = f.networkReachabilityDetails?.openPortRange.map { ($0.begin, $0.end) }
        networkProtocol = f.networkReachabilityDetails?.protocol
        detectorName = f.codeVulnerabilityDetails?.detectorName
        detectorTags = f.codeVulnerabilityDetails?.detectorTags ?? []
        codeFilePath = f.codeVulnerabilityDetails?.filePath?.filePath
        subjects = f.resources.map { resource in
            if let known = partition.subjects[resource.id], known.facts == resource { return known }
            let subject = Subject(resource, clock: partition.clock(resource.id), ordinal: partition.resourceOrdinal(resource.id))
            partition.subjects[resource.id] = subject
            return subject
        }
    }

    /// The leading 64 bits of the finding id (the 32 hex digits after `finding/`): within an
    /// account and region, ARNs order as these do, so most comparisons need no string.
    let rank: UInt64

    static func rank(_ arn: String) -> UInt64 {
        guard let slash = arn.lastIndex(of: "/") else { return 0 }
        let id = arn[arn.index(after: slash)...]
        guard id.utf8.count == 32, let value = UInt64(id.prefix(16), radix: 16) else { return 0 }
        return value
    }

    /// An open finding was last observed at its resource's last evaluation.
    var lastObservedAt: Double {
        if storedStatus != Status.closed, let at = subjects.first?.clock.observedAt { return at }
        return documentLastObservedAt
    }

    var statusName: String { Status.names[Int(status)] }

    /// For counting: exploit and fix available (YES), a network finding.
    var exploitable: Bool { exploitCode == Vocabulary.yes }
    var fixable: Bool { fixCode == Vocabulary.yes }
    var isNetwork: Bool { typeCode == Vocabulary.networkReachability }
}
