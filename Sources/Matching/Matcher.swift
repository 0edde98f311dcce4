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

    public init(database: AdvisoryDatabase) {
        self.database = database
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
    /// (each with why), so nothing is silently skipped.
    public func matches(_ packages: [Package]) throws -> (matches: [Match], problems: [String]) {
        var cache: [String: [AdvisoryDatabase.AffectedEntry]] = [:]
        var matches: [Match] = []
        var problems: [String] = []
        var seen = Set<String>()
        for package in packages {
            let (ecosystem, name, version) = Self.key(package)
            let scheme: VersionScheme
            do {
                scheme = try VersionScheme(ecosystem: ecosystem)
            } catch {
                problems.append("\(package.name) \(package.version) (\(package.ecosystem)): no version rules for this ecosystem; not matched")
                continue
            }
            let cacheKey = "\(ecosystem)\u{0}\(name)"
            let entries: [AdvisoryDatabase.AffectedEntry]
            if let known = cache[cacheKey] {
                entries = known
            } else {
                entries = try database.affected(ecosystem: ecosystem, name: name)
                cache[cacheKey] = entries
            }
            for entry in entries {
                let evaluation: RangeEvaluation
                do {
                    evaluation = try scheme.evaluate(version, against: entry.versions)
                } catch {
                    problems.append("\(package.name) \(version) at \(package.path): \(error); not matched against \(entry.advisoryID)")
                    continue
                }
                guard evaluation.isAffected else { continue }
                // One match per (package found at a path, advisory).
                let key = "\(package.name)\u{0}\(package.version)\u{0}\(package.path)\u{0}\(entry.advisoryID)"
                guard seen.insert(key).inserted else { continue }
                matches.append(Match(package: package, advisoryID: entry.advisoryID, ecosystem: entry.ecosystem,
                                     fixedVersion: Self.fixedVersion(above: version, in: entry.versions, scheme: scheme)))
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
