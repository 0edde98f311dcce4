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
        var entries = Array(repeating: [AdvisoryDatabase.AffectedEntry](), count: groups.count)
        var byEcosystem: [Ecosystem: [Int]] = [:]
        for (g, group) in groups.enumerated() where (try? VersionScheme(ecosystem: group.ecosystem)) != nil {
            byEcosystem[group.ecosystem, default: []].append(g)
        }
        for (ecosystem, members) in byEcosystem {
            if let index = self.index {
                let family = try index.family(ecosystem.name, from: database)
                let full = ecosystem.release == nil ? nil : ecosystem.description
                for g in members {
                    let key = PackageName.normalized(groups[g].name, ecosystem: ecosystem)
                    entries[g] = (family[key] ?? []).filter { full == nil || $0.ecosystem == full }
                }
                continue
            }
            let found = try database.affected(ecosystem: ecosystem, names: members.map { groups[$0].name })
            for g in members { entries[g] = found[groups[g].name] ?? [] }
        }
        let results = GroupResults(count: groups.count)
        let work = groups.map { (members: $0.members.map { packages[$0] }, ecosystem: $0.ecosystem) }
        let found = entries
        DispatchQueue.concurrentPerform(iterations: work.count) { g in
            results.set(g, Self.evaluate(work[g].members, ecosystem: work[g].ecosystem, entries: found[g]))
        }
        // Back in the order packages were given.
        var byPackage: [Int: [Match]] = [:]
        var problems: [String] = []
        for (g, group) in groups.enumerated() {
            let (found, trouble) = results.get(g)
            problems += trouble
            for match in found {
                if let n = group.members.first(where: { packages[$0] == match.package }) { byPackage[n, default: []].append(match) }
            }
        }
        let matches = packages.indices.flatMap { byPackage[$0] ?? [] }
        return (matches, problems)
    }

    static func evaluate(_ members: [Package], ecosystem: Ecosystem, entries: [AdvisoryDatabase.AffectedEntry]) -> ([Match], [String]) {
        guard let scheme = try? VersionScheme(ecosystem: ecosystem) else {
            return ([], members.map { "\($0.name) \($0.version) (\($0.ecosystem)): no version rules for this ecosystem; not matched" })
        }
        var matches: [Match] = []
        var problems: [String] = []
        var seen = Set<String>()
        for package in members {
            let version = key(package).version
            let prepared: PreparedVersion
            do {
                prepared = try scheme.prepare(version)
            } catch {
                if !entries.isEmpty { problems.append("\(package.name) \(version) at \(package.path): \(error); not matched") }
                continue
            }
            for entry in entries where prepared.evaluate(against: entry.versions).isAffected {
                // One match per (package found at a path, advisory).
                let key = "\(package.name)\u{0}\(package.version)\u{0}\(package.path)\u{0}\(entry.advisoryID)"
                guard seen.insert(key).inserted else { continue }
                matches.append(Match(package: package, advisoryID: entry.advisoryID, ecosystem: entry.ecosystem,
                                     fixedVersion: fixedVersion(above: version, in: entry.versions, scheme: scheme)))
            }
        }
        return (matches, problems)
    }

    /// The lowest `fixed` event above `version` in the ranges that can be compared.
    static func fixedVersion(above version: String, in affected: AffectedVersions, scheme: VersionScheme) -> String? {
        var best: String?
        for range in affected.ranges where range.kind == .ecosystem || range.kind == .semver {
            for case let .fixed(fixed) in range.events {
                guard (try? scheme.compare(version, fixed)) == .orderedAscending else { continue }
                if let current = best, (try? scheme.compare(fixed, current)) != .orderedAscending { continue }
                best = fixed
            }
        }
        return best
    }
}

/// Per-group results written from several threads.
final class GroupResults: @unchecked Sendable {
    private var storage: [([Match], [String])]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: ([], []), count: count) }

    func set(_ k: Int, _ value: ([Match], [String])) { lock.withLock { storage[k] = value } }

    func get(_ k: Int) -> ([Match], [String]) { lock.withLock { storage[k] } }
}

/// Affected entries held in memory by ecosystem family, loaded on first use: for a matcher that
/// answers many scans from one open store.
public final class AffectedIndex: @unchecked Sendable {
    private var families: [String: [String: [AdvisoryDatabase.AffectedEntry]]] = [:]
    private let lock = NSLock()

    public init() {}

    func family(_ name: String, from database: AdvisoryDatabase) throws -> [String: [AdvisoryDatabase.AffectedEntry]] {
        if let known = lock.withLock({ families[name] }) { return known }
        let loaded = try database.allAffected(family: name)
        lock.withLock { families[name] = loaded }
        return loaded
    }

    /// Loads every family now (when the store is opened), so no scan pays for it.
    public func preload(_ database: AdvisoryDatabase) throws {
        for family in try database.status().ecosystems.keys { _ = try self.family(family, from: database) }
    }
}
