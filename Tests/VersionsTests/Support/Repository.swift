import Foundation

/// Paths the tests read: the repository itself and the shared OSV snapshot beside it.
enum Repository {
    /// The repository root (this file is Tests/VersionsTests/Support/Repository.swift).
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let oracles = root.appending(path: "Tests/VersionsTests/Oracles")
    static let corpusScript = root.appending(path: "Scripts/version-corpus.py")
    /// `../shared/data/osv`, the real OSV records the tests use.
    static let osvData = root.deletingLastPathComponent().appending(path: "shared/data/osv")
}

/// Runs an external program with a file as standard input and returns its standard output lines.
enum External {
    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func run(_ arguments: [String], input: String = "", environment: [String: String] = [:]) throws -> [String] {
        let inputURL = FileManager.default.temporaryDirectory.appending(path: "vigil-\(UUID().uuidString).tsv")
        try input.write(to: inputURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: inputURL) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments.map { $0 == "{input}" ? inputURL.path : $0 }
        var env = ProcessInfo.processInfo.environment
        env.merge(environment) { _, new in new }
        process.environment = env
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        // Drain stderr concurrently so a chatty tool cannot block on a full pipe.
        let errorData = LockedData()
        let drain = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        drain.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !errorData.isSet { Thread.sleep(forTimeInterval: 0.01) }
        guard process.terminationStatus == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(process.terminationStatus): \(String(decoding: errorData.value.prefix(2000), as: UTF8.self))")
        }
        return String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).dropLast().map(String.init)
    }
}

final class LockedData: @unchecked Sendable {
    private let lock = NSLock()
    private var data: Data?
    func set(_ d: Data) { lock.withLock { data = d } }
    var isSet: Bool { lock.withLock { data != nil } }
    var value: Data { lock.withLock { data ?? Data() } }
}

/// Real OSV data through Scripts/version-corpus.py.
enum Corpus {
    static func versions(_ ecosystem: String) throws -> [String] {
        try External.run(["python3", Repository.corpusScript.path, "versions", ecosystem, "--data", Repository.osvData.path])
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
        return try External.run(["python3", Repository.corpusScript.path, "ranges", ecosystem, "--data", Repository.osvData.path])
            .filter { !$0.isEmpty }
            .map { try decoder.decode(Entry.self, from: Data($0.utf8)) }
    }
}
