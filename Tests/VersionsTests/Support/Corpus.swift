import Foundation
import TestSupport

/// Paths of the Versions tests' oracles and of the script that reads the OSV snapshot.
enum Paths {
    static let oracles = Repository.root.appending(path: "Tests/VersionsTests/Oracles")
    static let corpusScript = Repository.root.appending(path: "Scripts/version-corpus.py")
    /// `../shared/data/osv`, the real OSV records the tests use.
    static let osvData = Repository.sharedData.appending(path: "osv")
}

/// Real OSV data through Scripts/version-corpus.py.
enum Corpus {
    static func versions(_ ecosystem: String) throws -> [String] {
        try Subprocess.lines(["python3", Paths.corpusScript.path, "versions", ecosystem, "--data", Paths.osvData.path])
            .filter { !$0.isEmpty }
    }

    struct Entry: Decodable {
        struct Range: Decodable {
            struct Event: Decodable {
                var kind: String
                var version: String
            }
            var type: String
            var events: [Event]
        }
        var id: String
        var ecosystem: String
        var ranges: [Range]
        var versions: [String]
    }

    static func entries(_ ecosystem: String) throws -> [Entry] {
        let decoder = JSONDecoder()
        return try Subprocess.lines(["python3", Paths.corpusScript.path, "ranges", ecosystem, "--data", Paths.osvData.path])
            .filter { !$0.isEmpty }
            .map { try decoder.decode(Entry.self, from: Data($0.utf8)) }
    }
}
