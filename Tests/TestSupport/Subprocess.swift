import Foundation

/// Runs external programs for the tests: oracles (dpkg, rpm, packaging, node-semver, ...), the
/// repository's Python scripts and the `vigil` executable itself.
public enum Subprocess {
    public struct Result: Sendable {
        public var status: Int32
        public var output: String
        public var errors: String

        /// Standard output split into lines, without the empty string after the last newline.
        public var lines: [String] {
            var lines = output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            if lines.last == "" { lines.removeLast() }
            return lines
        }
    }

    public struct Failure: Error, CustomStringConvertible {
        public var description: String
        public init(description: String) { self.description = description }
    }

    /// Runs `executable` with `input` as standard input (through a file, so a large input can never
    /// block on a full pipe) and collects both output streams.
    public static func run(
        _ executable: URL, _ arguments: [String], input: String = "", environment: [String: String] = [:]
    ) throws -> Result {
        let inputURL = FileManager.default.temporaryDirectory.appending(path: "vigil-test-\(UUID().uuidString)")
        try input.write(to: inputURL, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: inputURL) }
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardInput = try FileHandle(forReadingFrom: inputURL)
        let output = Pipe(), errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let errorData = Collected()
        let drain = Thread { errorData.set(errors.fileHandleForReading.readDataToEndOfFile()) }
        drain.start()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Result(
            status: process.terminationStatus,
            output: String(decoding: data, as: UTF8.self),
            errors: String(decoding: errorData.wait(), as: UTF8.self)
        )
    }

    /// Starts a long-running program (a registry, an agent) with its output discarded; the caller
    /// kills it when done.
    public static func background(_ executable: URL, _ arguments: [String], environment: [String: String] = [:]) throws -> Process {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    /// Runs a program found on PATH and returns its output lines.
    /// - Throws: `Failure` with its standard error when it exits non-zero.
    public static func lines(_ arguments: [String], input: String = "", environment: [String: String] = [:]) throws -> [String] {
        let result = try run(URL(fileURLWithPath: "/usr/bin/env"), arguments, input: input, environment: environment)
        guard result.status == 0 else {
            throw Failure(description: "\(arguments.joined(separator: " ")) exited \(result.status): \(result.errors.prefix(2000))")
        }
        return result.lines
    }
}

/// Data handed from the thread draining standard error.
private final class Collected: @unchecked Sendable {
    private let condition = NSCondition()
    private var data: Data?

    func set(_ value: Data) {
        condition.lock()
        data = value
        condition.signal()
        condition.unlock()
    }

    func wait() -> Data {
        condition.lock()
        defer { condition.unlock() }
        while data == nil { condition.wait() }
        return data ?? Data()
    }
}

/// Paths the tests read: the repository and the shared data beside it.
public enum Repository {
    /// The repository root (this file is Tests/TestSupport/Subprocess.swift).
    public static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    /// `../shared/data`, the real vulnerability data the tests use.
    public static let sharedData = root.deletingLastPathComponent().appending(path: "shared/data")
}
