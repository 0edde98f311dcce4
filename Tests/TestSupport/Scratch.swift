import Foundation

/// A temporary directory removed when the test is done with it.
public final class ScratchDirectory: @unchecked Sendable {
    public let url: URL

    public init(_ label: String = "vigil") throws {
        url = FileManager.default.temporaryDirectory.appending(path: "\(label)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(at: url) }

    public func path(_ component: String) -> URL { url.appending(path: component) }

    /// A directory that lives as long as the test process (a fixture built once and shared by
    /// many tests), removed when the process exits.
    public static func forProcess(_ label: String) -> URL {
        let url = FileManager.default.temporaryDirectory.appending(path: "\(label)-\(getpid())")
        ProcessScratch.register(url)
        return url
    }

    /// Writes `text` at `relativePath` below `directory` (the scratch root by default), creating the
    /// directories on the way.
    public static func write(_ text: String, to relativePath: String, in directory: URL) throws {
        let target = directory.appending(path: relativePath)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
    }
}

/// A static HTTP server on 127.0.0.1 (Python's http.server on a free port) serving one directory;
/// stopped when released.
public final class LocalHTTPServer: @unchecked Sendable {
    private let process = Process()
    public let baseURL: URL

    public init(serving directory: URL) throws {
        let script = """
        import functools, http.server, sys
        handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=sys.argv[1])
        handler.log_message = lambda *args: None
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        print(server.server_address[1], flush=True)
        server.serve_forever()
        """
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", "-c", script, directory.path]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var line = Data()
        while true {
            let byte = output.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        guard let port = Int(String(decoding: line, as: UTF8.self)), let url = URL(string: "http://127.0.0.1:\(port)") else {
            process.terminate()
            throw Subprocess.Failure(description: "the test HTTP server did not start")
        }
        baseURL = url
    }

    deinit { stop() }

    public func stop() {
        if process.isRunning {
            // SIGKILL: a SIGTERM may be ignored (the disposition is inherited from the test runner).
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }
}

/// Directories removed when the test process exits.
enum ProcessScratch {
    nonisolated(unsafe) private static var paths: [String] = []
    private static let lock = NSLock()
    private static let installed: Void = {
        atexit { ProcessScratch.removeAll() }
    }()

    static func register(_ url: URL) {
        lock.withLock {
            _ = installed
            paths.append(url.path)
        }
    }

    static func removeAll() {
        lock.withLock {
            for path in paths { try? FileManager.default.removeItem(atPath: path) }
            paths = []
        }
    }
}

extension LocalHTTPServer {
    /// A directory laid out like OSV's bucket (`<Ecosystem>/all.zip`, `modified_id.csv`, `<ID>.json`,
    /// `ecosystems.txt`) from the records in ../shared/data, with `kev.json` and `epss.csv.gz`.
    public static func makeAdvisoryMirror(in root: URL, ecosystems: [String]) throws {
        let osv = Repository.sharedData.appending(path: "osv")
        for name in ecosystems {
            let folder = root.appending(path: name)
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for file in ["all.zip", "modified_id.csv"] {
                try FileManager.default.copyItem(at: osv.appending(path: "\(name)/\(file)"), to: folder.appending(path: file))
            }
            _ = try Subprocess.lines(["python3", "-c", """
                import sys, zipfile
                zipfile.ZipFile(sys.argv[1]).extractall(sys.argv[2])
                """, folder.appending(path: "all.zip").path, folder.path])
        }
        try (ecosystems.joined(separator: "\n") + "\n").write(to: root.appending(path: "ecosystems.txt"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(at: Repository.sharedData.appending(path: "kev/known_exploited_vulnerabilities.json"), to: root.appending(path: "kev.json"))
        try FileManager.default.copyItem(at: Repository.sharedData.appending(path: "epss/epss_scores-sample.csv.gz"), to: root.appending(path: "epss.csv.gz"))
    }
}
