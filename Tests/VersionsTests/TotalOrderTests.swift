import Foundation
import Testing
@testable import Versions
import VigilCore

/// Sorting needs a total order: on real versions from the OSV snapshot, every scheme's comparison
/// must be antisymmetric, transitive and consistent with equality.
struct TotalOrderTests {
    @Test(arguments: [
        ("Debian", VersionScheme.dpkg), ("AlmaLinux", .rpm), ("Alpine", .apk), ("PyPI", .pep440), ("npm", .npm),
        ("crates.io", .semver), ("Go", .go), ("Maven", .maven), ("RubyGems", .rubygems), ("NuGet", .nuget), ("Packagist", .packagist),
    ])
    func realVersionsAreTotallyOrdered(_ ecosystem: String, _ scheme: VersionScheme) throws {
        let versions = try Corpus.versions(ecosystem).filter { (try? scheme.validate($0)) != nil }
        #expect(versions.count >= 15)
        try Self.check(scheme.versionType, versions)
    }

    static func check<V: EcosystemVersion>(_ type: V.Type, _ texts: [String]) throws {
        let parsed = try texts.prefix(3000).map { try V(parsing: $0) }
        let sorted = parsed.sorted()
        // Sorted output is non-decreasing under the same comparison, whatever the input order.
        for (a, b) in zip(sorted, sorted.dropFirst()) {
            #expect(!(b < a), "\(a) sorted before \(b)")
        }
        var generator = SplitMix64(seed: 42)
        func pick() -> V { parsed[Int(generator.next() % UInt64(parsed.count))] }
        for _ in 0..<20_000 {
            let (a, b, c) = (pick(), pick(), pick())
            #expect(!(a < b && b < a), "\(a) and \(b) are each below the other")
            #expect((a == b) == (!(a < b) && !(b < a)), "\(a) and \(b): == disagrees with <")
            if a < b && b < c { #expect(a < c, "\(a) < \(b) < \(c) but not \(a) < \(c)") }
            if a == b { #expect(a.hashValue == b.hashValue, "\(a) == \(b) but hashes differ") }
        }
    }
}
