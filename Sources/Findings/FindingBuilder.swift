import Advisories
import AdvisoryStore
import Foundation
import Matching
import Versions
import VigilCore

/// Turns matches into findings the way Inspector models them: one finding per (resource,
/// vulnerability), where the vulnerability is the CVE an advisory names (an advisory naming several
/// CVEs gives one finding per CVE), else the advisory's own id. Every affected package of the resource
/// is listed in the finding, with its fixed version.
public struct FindingBuilder: Sendable {
    public struct Context: Sendable {
        public var resource: Resource
        public var accountID: String
        public var region: String
        public var now: Date

        public init(resource: Resource, accountID: String = "000000000000", region: String = "local", now: Date = Date()) {
            self.resource = resource
            self.accountID = accountID
            self.region = region
            self.now = now
        }
    }

    let database: AdvisoryDatabase
    let cache: AdvisoryCache?

    /// - Parameter cache: advisories already read from this database (a server evaluating many
    ///   resources keeps one per database version); without it each call reads them again.
    public init(database: AdvisoryDatabase, cache: AdvisoryCache? = nil) {
        self.database = database
        self.cache = cache
    }

    func advisory(_ id: String) throws -> KnownAdvisory? {
        if let known = cache?.get(id) { return known }
        // Decoded from the database this one replaced: still current when its `modified` time is
        // the same; only its KEV and EPSS data are read again.
        if let cache, let earlier = cache.earlier(id) {
            if let revision = try database.revision(id: id, cves: earlier.advisory.record.cveIDs), revision.modified == earlier.advisory.record.modified {
                let known = KnownAdvisory(earlier, kev: revision.kev, epss: revision.epss)
                cache.set(id, known)
                return known
            }
        }
        guard let advisory = try database.advisories(id: id).first(where: { $0.record.id == id }) else { return nil }
        let known = KnownAdvisory(advisory)
        cache?.set(id, known)
        return known
    }

    /// OSV ecosystems of operating-system distributions: their advisories list CVEs in `related`.
    static let distributions: Set<String> = [
        "Debian", "Ubuntu", "Alpine", "AlmaLinux", "Rocky Linux", "Red Hat", "SUSE", "openSUSE", "Wolfi", "Chainguard",
        "Mageia", "openEuler", "Photon OS", "Azure Linux", "Mariner",
    ]

    /// The CVEs an advisory stands for: `aliases`, `upstream`, and for a distribution's advisory
    /// `related`; `UBUNTU-CVE-…` and `DEBIAN-CVE-…` stand for the CVE they name.
    public static func vulnerabilityIDs(_ record: OSVRecord, distribution: Bool) -> [String] {
        var out: [String] = []
        var candidates = [record.id] + (record.aliases ?? []) + (record.upstream ?? [])
        if distribution { candidates += record.related ?? [] }
        for candidate in candidates {
            var id = candidate
            for prefix in ["UBUNTU-", "DEBIAN-"] where id.hasPrefix(prefix + "CVE-") { id = String(id.dropFirst(prefix.count)) }
            if id.hasPrefix("CVE-"), CVE.isValid(id), !out.contains(id) { out.append(id) }
        }
        return out
    }

    struct Entry: Sendable {
        var match: Match
        var known: KnownAdvisory
        /// The match is a distribution's package (its advisory's `related` CVEs count).
        var distribution: Bool
        var advisory: AdvisoryDatabase.Advisory { known.advisory }
    }

    /// One finding's matches, grouped but not yet built: its ARN and a fingerprint of everything
    /// the finding is made from (the resource, each package and fixed version, each advisory's id
    /// and `modified` time, the vulnerability's KEV and EPSS data, this builder's revision). A
    /// re-evaluation compares fingerprints and builds only the findings that changed.
    public struct Pending: Sendable {
        public let vulnerabilityID: String
        public let findingArn: String
        public let fingerprint: String
        let entries: [Entry]
    }

    /// Bumped whenever `finding(_:context:)` would build a different document from the same
    /// facts, so stored findings are rebuilt once after an upgrade.
    static let revision = "1"

    /// The findings for one resource's matches.
    public func findings(for matches: [Match], context: Context) throws -> [Finding] {
        try pending(for: matches, context: context).map { finding($0, context: context) }
    }

    /// One resource's matches grouped by vulnerability, in the order the vulnerabilities were
    /// first matched.
    public func pending(for matches: [Match], context: Context) throws -> [Pending] {
        var advisories: [String: KnownAdvisory] = [:]
        var distributions: [String: Bool] = [:]
        var groups: [String: [Entry]] = [:]
        var order: [String] = []
        for match in matches {
            if advisories[match.advisoryID] == nil {
                guard let known = try advisory(match.advisoryID) else { continue }
                advisories[match.advisoryID] = known
            }
            let known = advisories[match.advisoryID]!
            let distribution = distributions[match.ecosystem] ?? {
                let answer = Self.distributions.contains(Ecosystem(match.ecosystem).name)
                distributions[match.ecosystem] = answer
                return answer
            }()
            for id in known.findingIDs(distribution: distribution) {
                if groups[id] == nil { order.append(id) }
                groups[id, default: []].append(Entry(match: match, known: known, distribution: distribution))
            }
        }
        let resource = String(decoding: (try? Self.encoder.encode(context.resource)) ?? Data(), as: UTF8.self)
        return order.map { id in
            let entries = groups[id]!
            var print = Fingerprint()
            print.add(Self.revision, resource, id)
            for entry in entries {
                let (m, p) = (entry.match, entry.match.package)
                print.add(m.advisoryID, entry.known.advisory.record.modified, m.ecosystem, m.fixedVersion ?? "-")
                print.add(p.name, p.version, p.path, p.layer ?? "-", p.architecture ?? "-", p.packageManager.rawValue)
                for kev in entry.known.advisory.kev where kev.cve == id { print.add("kev", kev.dateAdded) }
                for epss in entry.known.advisory.epss where epss.cve == id { print.add("epss", "\(epss.probability)") }
            }
            return Pending(vulnerabilityID: id, findingArn: Self.findingArn(context: context, vulnerabilityID: id), fingerprint: print.value, entries: entries)
        }
    }

    static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// A finding's ARN: stable for the same (account, resource, vulnerability).
    static func findingArn(context: Context, vulnerabilityID: String) -> String {
        "arn:aws:inspector2:\(context.region):\(context.accountID):finding/\(findingID(context.resource.id, vulnerabilityID))"
    }

    /// The finding a pending group stands for.
    public func finding(_ pending: Pending, context: Context) -> Finding {
        finding(id: pending.vulnerabilityID, entries: pending.entries, context: context)
    }

    func finding(id: String, entries: [Entry], context: Context) -> Finding {
        // Packages: one per (name, version, path); the highest fixed version any advisory gives.
        var packages: [String: (Package, String?, String)] = [:]
        var packageOrder: [String] = []
        for entry in entries {
            let p = entry.match.package
            let key = "\(p.name)\u{0}\(p.version)\u{0}\(p.path)"
            if let (existing, fixed, ecosystem) = packages[key] {
                packages[key] = (existing, Self.higher(fixed, entry.match.fixedVersion, ecosystem: ecosystem), ecosystem)
            } else {
                packages[key] = (p, entry.match.fixedVersion, entry.match.ecosystem)
                packageOrder.append(key)
            }
        }
        let vulnerable = packageOrder.map { key -> VulnerablePackage in
            let (p, fixed, _) = packages[key]!
            return Self.vulnerablePackage(p, fixed: fixed)
        }
        let knowns = uniqueRecords(entries)
        let records = knowns.map(\.advisory)
        let primary = records.first { $0.record.id == id } ?? records[0]
        var related: [String] = []
        for known in knowns {
            let advisory = known.advisory
            let distribution = entries.contains { $0.known === known && $0.distribution }
            for other in [advisory.record.id] + known.cves(distribution: distribution) + (advisory.record.aliases ?? [])
            where other != id && !related.contains(other) {
                related.append(other)
            }
        }
        let cvss = records.flatMap { advisory in
            (advisory.record.severity ?? []).compactMap { severity -> CvssScore? in
                guard severity.type.hasPrefix("CVSS"), let score = try? CVSSScore(vector: severity.score) else { return nil }
                return CvssScore(baseScore: score.baseScore, scoringVector: severity.score, version: score.version, source: advisory.record.id)
            }
        }
        let chosen = ["3.1", "3.0", "4.0", "2.0"].lazy.compactMap { v in cvss.first { $0.version == v } }.first
        let vendor = records.lazy.compactMap(Self.vendorSeverity).first
        let severity = vendor?.severity ?? chosen.map { Severity(score: $0.baseScore) } ?? .untriaged
        let kev = records.flatMap(\.kev).filter { $0.cve == id }.sorted { $0.dateAdded < $1.dateAdded }
        let epss = records.flatMap(\.epss).first { $0.cve == id }
        let fixes = vulnerable.map { $0.fixedInVersion != "NotAvailable" }
        let fixAvailable = fixes.allSatisfy { $0 } ? "YES" : fixes.contains(true) ? "PARTIAL" : "NO"
        let names = Array(Set(vulnerable.map(\.name))).sorted()
        let now = context.now.timeIntervalSince1970.rounded()
        let text = vulnerable.map { v in
            v.fixedInVersion == "NotAvailable" ? "\(v.name): no fixed version is available yet" : "upgrade \(v.name) \(v.version) to \(v.fixedInVersion ?? "")"
        }
        let description = (primary.record.details?.isEmpty == false ? primary.record.details : primary.record.summary) ?? "\(id) affects \(names.joined(separator: ", "))."
        let references = records.flatMap { ($0.record.references ?? []).map(\.url) }
        return Finding(
            findingArn: Self.findingArn(context: context, vulnerabilityID: id),
            awsAccountId: context.accountID,
            description: String(description.prefix(1024)),
            title: "\(id) - \(names.joined(separator: ", "))",
            remediation: Remediation(recommendation: Recommendation(
                text: text.joined(separator: "; ").prefix(1).uppercased() + text.joined(separator: "; ").dropFirst() + ".",
                Url: (primary.record.references ?? []).first { $0.type == "ADVISORY" }?.url)),
            severity: severity.rawValue,
            firstObservedAt: now, lastObservedAt: now, updatedAt: now,
            resources: [context.resource],
            inspectorScore: chosen?.baseScore,
            inspectorScoreDetails: chosen.map { c in
                InspectorScoreDetails(adjustedCvss: CvssScoreDetails(scoreSource: c.source, cvssSource: c.source, version: c.version, score: c.baseScore,
                                                                     scoringVector: c.scoringVector, adjustments: []))
            },
            packageVulnerabilityDetails: PackageVulnerabilityDetails(
                vulnerabilityId: id, vulnerablePackages: vulnerable, source: Self.source(primary.record.id),
                cvss: cvss.isEmpty ? nil : cvss, relatedVulnerabilities: related.isEmpty ? nil : related,
                sourceUrl: "https://osv.dev/vulnerability/\(primary.record.id)", vendorSeverity: vendor?.label,
                vendorCreatedAt: primary.record.published.flatMap(OSVTimestamp.parse), vendorUpdatedAt: OSVTimestamp.parse(primary.record.modified),
                referenceUrls: references.isEmpty ? nil : Array(references.prefix(100))
            ),
            fixAvailable: fixAvailable,
            exploitAvailable: kev.isEmpty ? "NO" : "YES",
            exploitabilityDetails: kev.first.flatMap { OSVTimestamp.parse($0.dateAdded + (($0.dateAdded.count == 10) ? "T00:00:00Z" : "")) }
                .map { ExploitabilityDetails(lastKnownExploitAt: $0) },
            epss: epss.map { EpssDetails(score: $0.probability) }
        )
    }

    func uniqueRecords(_ entries: [Entry]) -> [KnownAdvisory] {
        var seen = Set<ObjectIdentifier>()
        return entries.compactMap { seen.insert(ObjectIdentifier($0.known)).inserted ? $0.known : nil }
    }

    /// A distribution's or ecosystem's own rating: GitHub's `database_specific.severity`, Ubuntu's
    /// `severity[type=Ubuntu]`.
    static func vendorSeverity(_ advisory: AdvisoryDatabase.Advisory) -> (severity: Severity, label: String)? {
        var labels: [String] = []
        if let text = advisory.record.databaseSpecific?["severity"]?.string { labels.append(text) }
        for severity in advisory.record.severity ?? [] where !severity.type.hasPrefix("CVSS") { labels.append(severity.score) }
        for label in labels {
            switch label.uppercased() {
            case "CRITICAL": return (.critical, label)
            case "HIGH", "IMPORTANT": return (.high, label)
            case "MODERATE", "MEDIUM": return (.medium, label)
            case "LOW", "NEGLIGIBLE": return (.low, label)
            default: continue
            }
        }
        return nil
    }

    /// Inspector's `source` for an advisory: who published it.
    static func source(_ id: String) -> String {
        let prefixes: [(String, String)] = [("DSA-", "DEBIAN_DSA"), ("DLA-", "DEBIAN_DLA"), ("DTSA-", "DEBIAN_DTSA"), ("DEBIAN-", "DEBIAN_CVE"),
                                            ("USN-", "UBUNTU_USN"), ("UBUNTU-", "UBUNTU_CVE"), ("ALSA-", "ALMALINUX"), ("ALBA-", "ALMALINUX"),
                                            ("ALPINE-", "ALPINE_SECDB"), ("GHSA-", "GITHUB"), ("PYSEC-", "PYPA"), ("GO-", "GO_VULNDB"),
                                            ("RUSTSEC-", "RUSTSEC"), ("RLSA-", "ROCKY_LINUX"), ("RHSA-", "REDHAT")]
        return prefixes.first { id.hasPrefix($0.0) }?.1 ?? "OSV"
    }

    /// Inspector's package shape: OS package versions split into epoch, version and release.
    static func vulnerablePackage(_ p: Package, fixed: String?) -> VulnerablePackage {
        var version = p.version
        var epoch: Int?
        var release: String?
        if p.packageManager == .os {
            if let colon = version.firstIndex(of: ":"), let e = Int(version[..<colon]) {
                epoch = e
                version = String(version[version.index(after: colon)...])
            } else {
                epoch = 0
            }
            if let dash = version.lastIndex(of: "-") {
                release = String(version[version.index(after: dash)...])
                version = String(version[..<dash])
            }
        }
        // A package's layer is an image layer digest, or the ARN of the Lambda layer it came from.
        let lambdaLayer = p.layer?.hasPrefix("arn:aws:lambda:") == true
        return VulnerablePackage(
            name: p.name, version: version, sourceLayerHash: lambdaLayer ? nil : p.layer, epoch: epoch, release: release, arch: p.architecture,
            packageManager: p.packageManager.rawValue, filePath: p.path, fixedInVersion: fixed ?? "NotAvailable",
            remediation: fixed.map { "Upgrade \(p.name) to \($0)" }, sourceLambdaLayerArn: lambdaLayer ? p.layer : nil
        )
    }

    static func higher(_ a: String?, _ b: String?, ecosystem: String) -> String? {
        guard let a else { return b }
        guard let b else { return a }
        guard let scheme = try? VersionScheme(ecosystem: Ecosystem(ecosystem)) else { return a }
        return (try? scheme.compare(a, b)) == .orderedAscending ? b : a
    }

    /// A stable finding id from the resource and the vulnerability.
    static func findingID(_ resource: String, _ vulnerability: String) -> String {
        // The same bytes as ever (resource, NUL, vulnerability): ARNs must not change across versions.
        var print = Fingerprint()
        for byte in "\(resource)\u{0}\(vulnerability)".utf8 { print.bytes(byte) }
        return Fingerprint.hex(print.hash) + Fingerprint.hex(print.hash.byteSwapped ^ 0x9e37_79b9_7f4a_7c15)
    }
}

/// FNV-1a over strings, each followed by a separator byte: stable across processes and builds
/// (Swift's `Hasher` is seeded per process), for ids and change detection, not for security.
struct Fingerprint {
    private(set) var hash: UInt64 = 0xcbf2_9ce4_8422_2325

    mutating func bytes(_ byte: UInt8) {
        hash ^= UInt64(byte)
        hash = hash &* 0x100_0000_01b3
    }

    mutating func add(_ parts: String...) {
        for var part in parts {
            part.withUTF8 { buffer in for byte in buffer { bytes(byte) } }
            bytes(0x1f)
        }
    }

    var value: String { Self.hex(hash) }

    /// Sixteen lower-case hex digits (what `%016llx` gives, without Foundation's formatter).
    private static let digits = Array("0123456789abcdef".utf8)

    static func hex(_ value: UInt64) -> String {
        String(unsafeUninitializedCapacity: 16) { buffer in
            for k in 0..<16 { buffer[k] = digits[Int((value >> (60 - 4 * UInt64(k))) & 0xf)] }
            return 16
        }
    }
}

/// A decoded advisory with the CVEs it stands for worked out once (one reference shared by every
/// finding that cites it).
final class KnownAdvisory: Sendable {
    let advisory: AdvisoryDatabase.Advisory
    /// `vulnerabilityIDs` without and with the `related` CVEs of a distribution's advisory.
    let plain: [String]
    let withRelated: [String]

    init(_ advisory: AdvisoryDatabase.Advisory) {
        self.advisory = advisory
        plain = FindingBuilder.vulnerabilityIDs(advisory.record, distribution: false)
        withRelated = FindingBuilder.vulnerabilityIDs(advisory.record, distribution: true)
    }

    /// The same record with current exploitation data.
    init(_ earlier: KnownAdvisory, kev: [AdvisoryDatabase.KEVEntry], epss: [AdvisoryDatabase.EPSSEntry]) {
        var advisory = earlier.advisory
        advisory.kev = kev
        advisory.epss = epss
        self.advisory = advisory
        plain = earlier.plain
        withRelated = earlier.withRelated
    }

    func cves(distribution: Bool) -> [String] { distribution ? withRelated : plain }

    /// The findings a match gives: one per CVE, or the advisory's own id when it names none.
    func findingIDs(distribution: Bool) -> [String] {
        let ids = cves(distribution: distribution)
        return ids.isEmpty ? [advisory.record.id] : ids
    }
}

/// Decoded advisories by id, shared by the threads evaluating resources against one database.
public final class AdvisoryCache: @unchecked Sendable {
    private var advisories: [String: KnownAdvisory] = [:]
    /// What the cache of the database this one replaced held (a copy, so caches never chain).
    private let previous: [String: KnownAdvisory]
    private let lock = NSLock()

    /// - Parameter previous: the cache of the database being replaced; its advisories are reused
    ///   where their `modified` time did not change.
    public init(previous: AdvisoryCache? = nil) {
        self.previous = previous.map { earlier in earlier.lock.withLock { earlier.advisories } } ?? [:]
    }

    func earlier(_ id: String) -> KnownAdvisory? { previous[id] }

    func get(_ id: String) -> KnownAdvisory? { lock.withLock { advisories[id] } }
    func set(_ id: String, _ advisory: KnownAdvisory) { lock.withLock { advisories[id] = advisory } }
}
