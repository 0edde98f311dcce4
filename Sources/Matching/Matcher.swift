import AdvisoryStore
import Foundation
import Versions
import VigilCore

/// One package inside one advisory's affected ranges.
public struct Match: Hashable, Sendable {
    public var package: Package
    public var advisoryID: String
    /// The advisory's ecosystem string for this entry (`Debian:11`, `PyPI`).
    public var ecosystem: String
    /// The lowest fixed version above the installed one, when the advisory names one.
    public var fixedVersion: String?
}

/// Joins packages with the advisory store: each package is looked up by its own ecosystem (OS
/// packages by their distribution release and, where the distribution publishes by source, by
/// source package name) and its version evaluated against each affected entry with that
/// ecosystem's version rules. Nothing is guessed across ecosystems; withdrawn advisories have no
/// affected entries in the store and so never match.
public struct Matcher: Sendable {
    let database: AdvisoryDatabase
    let index: AffectedIndex?

    /// - Parameter index: affected entries kept in memory (a server's matcher); without it every
    ///   match asks the store.
    public init(database: AdvisoryDatabase, index: AffectedIndex? = nil) {
        self.database = database
        self.index = index
    }

    /// Distributions whose advisories name source packages.
    static let publishesBySource: Set<String> = ["Debian", "Ubuntu", "Alpine", "Wolfi", "Chainguard"]

    /// The name and version advisories know a package by.
    public static func key(_ package: Package) -> (ecosystem: Ecosystem, name: String, version: String) {
        let ecosystem = Ecosystem(package.ecosystem)
        if package.packageManager == .os, publishesBySource.contains(ecosystem.name), let source = package.sourceName {
            return (ecosystem, source, package.version)
        }
        return (ecosystem, package.name, package.version)
    }

    /// Every (package, advisory) match, and the packages whose version could not be evaluated
    /// (each with why), so nothing is silently skipped. Packages are grouped by the advisory key
    /// they are looked up under; the store is asked once per key, then the groups are evaluated
    /// in parallel (each installed version parsed once) and the results put back in input order.
    public func matches(_ packages: [Package]) throws -> (matches: [Match], problems: [String]) {
        var groups: [(ecosystem: Ecosystem, name: String, members: [Int])] = []
        var index: [String: Int] = [:]
        for (n, package) in packages.enumerated() {
            let (ecosystem, name, _) = Self.key(package)
            let key = "\(ecosystem)\u{0}\(name)"
            if let g = index[key] {
                groups[g].members.append(n)
            } else {
                index[key] = groups.count
                groups.append((ecosystem, name, [n]))
            }
        }
        // One batch of questions per ecosystem.
        var candidates = Array(repeating: [Candidate](), count: groups.count)
        var byEcosystem: [Ecosystem: [Int]] = [:]
        for (g, group) in groups.enumerated() where (try? VersionScheme(ecosystem: group.ecosystem)) != nil {
            byEcosystem[group.ecosystem, default: []].append(g)
        }
        for (ecosystem, members) in byEcosystem {
            if let index = self.index {
                let family = try index.family(ecosystem.name, from: database)
                for g in members { candidates[g] = family.candidates(ecosystem: ecosystem, name: groups[g].name) }
                continue
            }
            guard let scheme = try? VersionScheme(ecosystem: ecosystem) else { continue }
            let found = try database.affected(ecosystem: ecosystem, names: members.map { groups[$0].name })
            for g in members { candidates[g] = (found[groups[g].name] ?? []).map { Candidate($0, scheme: scheme) } }
        }
        // Evaluated in parallel, in chunks of groups (one lock per chunk, not per group); a hit
        // names the package by its index, so packages are copied only into the final matches.
        let results = GroupResults(count: groups.count)
        let chunks = min(groups.count, 64)
        let found = candidates, work = groups
        DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
            let done = stride(from: chunk, to: work.count, by: chunks).map { g in
                (g, Self.evaluate(work[g].members, of: packages, ecosystem: work[g].ecosystem, candidates: found[g]))
            }
            results.set(done)
        }
        // Back in the order packages were given.
        var hits: [Hit] = []
        var problems: [String] = []
        for g in groups.indices {
            let (found, trouble) = results.get(g)
            problems += trouble
            hits += found
        }
        // By package, and for one package in the order its entries were found.
        let ordered = hits.indices.sorted { (hits[$0].package, $0) < (hits[$1].package, $1) }
        let matches = ordered.map { k in
            let hit = hits[k]
            return Match(package: packages[hit.package], advisoryID: hit.candidate.entry.advisoryID, ecosystem: hit.candidate.entry.ecosystem,
                  fixedVersion: hit.fixedVersion)
        }
        return (matches, problems)
    }

    /// A package (by index) inside one affected entry.
    struct Hit: Sendable {
        var package: Int
        var candidate: Candidate
        var fixedVersion: String?
    }

    /// The hits of one group's members (indices into `packages`) and the problems.
    static func evaluate(_ members: [Int], of packages: [Package], ecosystem: Ecosystem, candidates: [Candidate]) -> ([Hit], [String]) {
        guard let scheme = try? VersionScheme(ecosystem: ecosystem) else {
            return ([], members.map { let p = packages[$0]; return "\(p.name) \(p.version) (\(p.ecosystem)): no version rules for this ecosystem; not matched" })
        }
        var hits: [Hit] = []
        var problems: [String] = []
        // One hit per (package found at a path, advisory): members that are the same package at
        // the same path share the first one's index.
        var identity: [String: Int] = [:]
        var seen = Set<Seen>()
        for n in members {
            let package = packages[n]
            let version = key(package).version
            let prepared: PreparedVersion
            do {
                prepared = try scheme.prepare(version)
            } catch {
                if !candidates.isEmpty { problems.append("\(package.name) \(version) at \(package.path): \(error); not matched") }
                continue
            }
            let same = members.count == 1 ? n : identity["\(package.name)\u{0}\(package.version)\u{0}\(package.path)", default: n]
            if members.count > 1 { identity["\(package.name)\u{0}\(package.version)\u{0}\(package.path)"] = same }
            for candidate in candidates where prepared.evaluate(against: candidate.ranges).isAffected {
                guard seen.insert(Seen(package: same, advisoryID: candidate.entry.advisoryID)).inserted else { continue }
                hits.append(Hit(package: n, candidate: candidate, fixedVersion: prepared.lowestFixed(in: candidate.ranges)))
            }
        }
        return (hits, problems)
    }

    struct Seen: Hashable {
        var package: Int
        var advisoryID: String
    }
}

/// An affected entry with its ranges parsed for its ecosystem's scheme. A class: hits and index
/// lists share one copy instead of copying the entry's strings and ranges each time.
final class Candidate: Sendable {
    let entry: AdvisoryDatabase.AffectedEntry
    let ranges: PreparedRanges

    init(_ entry: AdvisoryDatabase.AffectedEntry, scheme: VersionScheme, parseListed: Bool = false) {
        self.entry = entry
        ranges = scheme.prepare(entry.versions, parseListed: parseListed)
    }
}

/// Per-group results written from several threads.
final class GroupResults: @unchecked Sendable {
    private var storage: [([Matcher.Hit], [String])]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: ([], []), count: count) }

    func set(_ values: [(Int, ([Matcher.Hit], [String]))]) { lock.withLock { for (k, value) in values { storage[k] = value } } }

    func get(_ k: Int) -> ([Matcher.Hit], [String]) { lock.withLock { storage[k] } }
}

/// Candidate lists prepared on several threads.
final class PreparedLists: @unchecked Sendable {
    private var storage: [[Candidate]]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: [], count: count) }

    func set(_ values: [(Int, [Candidate])]) { lock.withLock { for (k, value) in values { storage[k] = value } } }

    func get(_ k: Int) -> [Candidate] { lock.withLock { storage[k] } }
}

/// Affected entries held in memory by ecosystem family, their ranges already parsed, loaded on
/// first use: for a matcher that answers many scans from one open store.
public final class AffectedIndex: @unchecked Sendable {
    /// One family's entries by stored (normalised) name, and by release and name.
    struct Family: Sendable {
        var byName: [String: [Candidate]] = [:]
        var byRelease: [String: [String: [Candidate]]] = [:]

        /// "Debian:12" asks for Debian 12's entries only; "Debian" for every release.
        func candidates(ecosystem: Ecosystem, name: String) -> [Candidate] {
            let key = PackageName.normalized(name, ecosystem: ecosystem)
            if ecosystem.release == nil { return byName[key] ?? [] }
            return byRelease[ecosystem.description]?[key] ?? []
        }
    }

    private var families: [String: Family] = [:]
    private let lock = NSLock()

    public init() {}

    func family(_ name: String, from database: AdvisoryDatabase) throws -> Family {
        if let known = lock.withLock({ families[name] }) { return known }
        var family = Family()
        if let scheme = try? VersionScheme(ecosystem: Ecosystem(name)) {
            // Read in one pass, then parsed on every core (parsing is most of the load).
            let all = Array(try database.allAffected(family: name))
            let prepared = PreparedLists(count: all.count)
            let chunks = max(1, min(all.count, 64))
            DispatchQueue.concurrentPerform(iterations: chunks) { chunk in
                prepared.set(stride(from: chunk, to: all.count, by: chunks).map { k in
                    (k, all[k].value.map { Candidate($0, scheme: scheme, parseListed: true) })
                })
            }
            for (k, (key, _)) in all.enumerated() {
                let candidates = prepared.get(k)
                family.byName[key] = candidates
                for candidate in candidates { family.byRelease[candidate.entry.ecosystem, default: [:]][key, default: []].append(candidate) }
            }
        }
        lock.withLock { families[name] = family }
        return family
    }

    /// Loads every family now (when the store is opened), so no scan pays for it.
    public func preload(_ database: AdvisoryDatabase) throws {
        for family in try database.status().ecosystems.keys { _ = try self.family(family, from: database) }
    }
}
