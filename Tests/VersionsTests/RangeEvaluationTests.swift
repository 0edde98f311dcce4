import Foundation
import Testing
@testable import Versions
import VigilCore

/// OSV range evaluation on real records from ../shared/data/osv and on the schema's edge cases.
struct RangeEvaluationTests {
    static func affected(_ entry: Corpus.Entry) -> AffectedVersions {
        AffectedVersions(ranges: entry.ranges.map(range), versions: entry.versions)
    }

    static func range(_ r: Corpus.Entry.Range) -> AffectedRange {
        AffectedRange(kind: .init(r.type), events: r.events.compactMap { e in
            switch e.kind {
            case "introduced": .introduced(e.version)
            case "fixed": .fixed(e.version)
            case "last_affected": .lastAffected(e.version)
            case "limit": .limit(e.version)
            default: nil
            }
        })
    }

    /// The affected[] entry of record `id`; records listing several packages are told apart by `kind`
    /// (the entry whose ranges hold an event of that kind).
    static func record(_ id: String, in ecosystem: String, withEvent kind: String? = nil) throws -> Corpus.Entry {
        let entry = try Corpus.entries(ecosystem).first { entry in
            entry.id == id && (kind == nil || entry.ranges.contains { $0.events.contains { $0.kind == kind } })
        }
        return try #require(entry, "\(id) should be in the \(ecosystem) snapshot")
    }

    struct Expectation: Sendable, CustomTestStringConvertible {
        var id: String
        var ecosystem: String
        var affected: [String]
        var unaffected: [String]
        var event: String? = nil
        var testDescription: String { id }
    }

    @Test(arguments: [
        // Three introduced/fixed pairs in one SEMVER range (Go stdlib-style record).
        Expectation(id: "GO-2022-0344", ecosystem: "Go", affected: ["1.0.0", "v1.4.12", "1.5.0", "1.5.9", "1.6.0"],
                    unaffected: ["1.4.13", "1.4.99", "1.5.10", "1.5.99", "1.6.1", "2.0.0"]),
        // Pre-release introduced versions (0.4.0-0) opening each range.
        Expectation(id: "RUSTSEC-2018-0003", ecosystem: "crates.io", affected: ["0.3.2", "0.3.3", "0.4.0-0", "0.4.0", "0.4.4", "0.6.2"],
                    unaffected: ["0.3.1", "0.3.4", "0.3.9", "0.4.5", "0.5.1", "0.5.9", "0.6.3", "1.0.0"]),
        Expectation(id: "PYSEC-2011-17", ecosystem: "PyPI", affected: ["2.1", "2.2.7", "2.3", "2.3.3", "2.4.0", "2.4.3"],
                    unaffected: ["2.0", "2.2.8", "2.2.9", "2.3.4", "2.4.4", "2.5"]),
        // GIT + ECOSYSTEM ranges plus an explicit versions list (including the non-PEP 440 "1.3.1dev").
        Expectation(id: "PYSEC-2012-1", ecosystem: "PyPI", affected: ["0.5", "1.6.5", "1.6.5.post0", "1.0.0"],
                    unaffected: ["1.6.5.post1", "1.7"]),
        // last_affected: the named version is still affected, the next one is not.
        Expectation(id: "GHSA-29mw-wpgm-hmr9", ecosystem: "npm", affected: ["0.0.1", "4.5.1", "4.5.1-rc.1"],
                    unaffected: ["4.5.2", "4.6.0-alpha"], event: "last_affected"),
        // Maven orders the unknown qualifier "jre" after the release, so 29.0-jre is past last_affected 29.0.
        Expectation(id: "GHSA-5mg8-w23w-74h3", ecosystem: "Maven", affected: ["1.0", "29.0", "29.0-rc1", "28.2-jre"],
                    unaffected: ["29.0.1", "29.0-jre", "30.0-jre", "29.1"], event: "last_affected"),
    ])
    func realRecords(_ e: Expectation) throws {
        let entry = try Self.record(e.id, in: e.ecosystem, withEvent: e.event)
        let scheme = try VersionScheme(ecosystem: Ecosystem(entry.ecosystem))
        for v in e.affected {
            #expect(try scheme.evaluate(v, against: Self.affected(entry)).isAffected, "\(e.id) should affect \(v)")
        }
        for v in e.unaffected {
            #expect(try !scheme.evaluate(v, against: Self.affected(entry)).isAffected, "\(e.id) should not affect \(v)")
        }
    }

    @Test func gitRangesAreReportedNotEvaluated() throws {
        let entry = try Self.record("PYSEC-2012-1", in: "PyPI")
        let result = try VersionScheme.pep440.evaluate("1.7", against: Self.affected(entry))
        #expect(!result.isAffected)
        #expect(result.unevaluated == ["GIT range: commits cannot be compared with package versions"])
    }

    /// Every range of every record (sampled), checked at its own boundaries: a fixed version is
    /// outside the range, an introduced or last_affected version inside it (unless the same version
    /// also closes the range).
    @Test(arguments: ["Debian", "Ubuntu", "AlmaLinux", "Alpine", "PyPI", "Go", "crates.io", "npm", "Maven", "NuGet", "RubyGems", "Packagist"])
    func boundariesOfEveryRealRange(_ ecosystem: String) throws {
        let entries = try Corpus.entries(ecosystem)
        let sample = stride(from: 0, to: entries.count, by: max(1, entries.count / 1500)).map { entries[$0] }
        var checked = 0
        var skipped = 0
        for entry in sample {
            let scheme = try VersionScheme(ecosystem: Ecosystem(entry.ecosystem))
            for r in entry.ranges where r.type != "GIT" {
                let range = Self.range(r)
                let single = AffectedVersions(ranges: [range])
                let closing = Set(range.events.compactMap { if case let .fixed(v) = $0 { v } else if case let .limit(v) = $0 { v } else { nil } })
                // Records whose own boundaries do not parse (e.g. Alpine secdb's '1.11-20-r0') are
                // reported as not evaluable rather than guessed.
                guard range.events.allSatisfy({ $0.version == "0" || (try? scheme.validate($0.version)) != nil }) else {
                    let result = try? scheme.evaluate(range.events.first { $0.version != "0" }?.version ?? "0", against: single)
                    if let result { #expect(!result.unevaluated.isEmpty || result.isAffected) }
                    skipped += 1
                    continue
                }
                for event in range.events {
                    switch event {
                    case let .fixed(v):
                        #expect(try !scheme.evaluate(v, against: single).isAffected, "\(entry.id): fixed \(v) must not be affected")
                    case let .introduced(v) where v != "0" && !closing.contains(v):
                        #expect(try scheme.evaluate(v, against: single).isAffected, "\(entry.id): introduced \(v) must be affected")
                    case let .lastAffected(v):
                        #expect(try scheme.evaluate(v, against: single).isAffected, "\(entry.id): last_affected \(v) must be affected")
                    default:
                        continue
                    }
                    checked += 1
                }
            }
        }
        #expect(checked >= 15)
        print("\(ecosystem): \(checked) boundaries checked in \(sample.count) records, \(skipped) ranges with unparsable boundaries")
    }

    @Test func limitEventsCapTheRange() throws {
        let ranges = AffectedVersions(ranges: [AffectedRange(kind: .ecosystem, events: [.introduced("0"), .limit("2.0")])])
        #expect(try VersionScheme.pep440.evaluate("1.9", against: ranges).isAffected)
        #expect(try !VersionScheme.pep440.evaluate("2.0", against: ranges).isAffected)
        #expect(try !VersionScheme.pep440.evaluate("3.0", against: ranges).isAffected)
    }

    /// Entries prepared once (the server's index parses the listed versions up front; a one-off
    /// evaluation parses only those with the installed version's leading number) agree, and give
    /// the lowest fix above the installed version.
    @Test func preparedEntriesAgree() throws {
        let affected = AffectedVersions(ranges: [
            AffectedRange(kind: .ecosystem, events: [.introduced("0"), .fixed("1.4"), .introduced("2.0"), .fixed("2.2")]),
            AffectedRange(kind: .git, events: [.introduced("abc")]),
        ], versions: ["1.0", "3.1", "3.5.0"])
        let scheme = VersionScheme.maven
        for parseListed in [false, true] {
            let ranges = scheme.prepare(affected, parseListed: parseListed)
            let expectations: [(String, Bool, String?)] = [
                ("1.0.0", true, "1.4"), ("1.4", false, "2.2"), ("2.1", true, "2.2"), ("3.1.0", true, nil),
                ("3.5", true, nil), ("3.2", false, nil),
            ]
            for (version, affected, fix) in expectations {
                let prepared = try scheme.prepare(version)
                let result = prepared.evaluate(against: ranges)
                #expect(result.isAffected == affected, "\(version), listed parsed up front: \(parseListed)")
                #expect(prepared.lowestFixed(in: ranges) == fix, "\(version)")
                if !affected { #expect(result.unevaluated == ["GIT range: commits cannot be compared with package versions"]) }
            }
        }
        // Ranges prepared for another scheme are refused, not misread.
        let other = try VersionScheme.pep440.prepare("1.0").evaluate(against: scheme.prepare(affected))
        #expect(!other.isAffected && other.unevaluated.first?.contains("Maven") == true)
    }

    @Test func eventsNeedNotBeSorted() throws {
        let ranges = AffectedVersions(ranges: [AffectedRange(kind: .ecosystem, events: [
            .fixed("2.0"), .introduced("1.5"), .fixed("1.2"), .introduced("0"),
        ])])
        let scheme = VersionScheme.dpkg
        #expect(try scheme.evaluate("1.1", against: ranges).isAffected)
        #expect(try !scheme.evaluate("1.3", against: ranges).isAffected)
        #expect(try scheme.evaluate("1.5", against: ranges).isAffected)
        #expect(try !scheme.evaluate("2.0", against: ranges).isAffected)
    }

    @Test func anEmptyRangeAffectsNothing() throws {
        let ranges = AffectedVersions(ranges: [AffectedRange(kind: .ecosystem, events: [.introduced("1.0"), .fixed("1.0")])])
        #expect(try !VersionScheme.rubygems.evaluate("1.0", against: ranges).isAffected)
    }

    @Test func versionsListMatchesByEquality() throws {
        let list = AffectedVersions(versions: ["1.0"])
        #expect(try VersionScheme.maven.evaluate("1.0.0", against: list).isAffected)
        #expect(try !VersionScheme.maven.evaluate("1.0.1", against: list).isAffected)
    }

    @Test func unparsableInstalledVersionIsAnError() {
        #expect(throws: VersionError.self) {
            try VersionScheme.npm.evaluate("not-a-version", against: AffectedVersions(versions: ["1.0.0"]))
        }
    }

    @Test func unparsableBoundaryIsReportedNotGuessed() throws {
        let ranges = AffectedVersions(ranges: [
            AffectedRange(kind: .ecosystem, events: [.introduced("0"), .fixed("1.11-20-r0")]),
            AffectedRange(kind: .other("CUSTOM"), events: [.introduced("0")]),
        ])
        let result = try VersionScheme.apk.evaluate("1.0-r0", against: ranges)
        #expect(!result.isAffected)
        #expect(result.unevaluated.count == 2)
        #expect(result.unevaluated[0].contains("1.11-20-r0"))
        #expect(result.unevaluated[1] == "unknown range type CUSTOM")
    }

    @Test func semverRangesUseSemVerEvenForOtherEcosystems() throws {
        let ranges = AffectedVersions(ranges: [AffectedRange(kind: .semver, events: [.introduced("1.0.0"), .fixed("1.2.0")])])
        // Under PEP 440 "1.2.0-rc.1" would be a post release; under SemVer it precedes 1.2.0.
        #expect(try VersionScheme.semver.evaluate("1.2.0-rc.1", against: ranges).isAffected)
    }
}
