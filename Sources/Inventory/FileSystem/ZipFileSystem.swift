import Archives
import Foundation

/// A zip archive (a function package, a layer) seen as a filesystem. Entries are read once, within
/// `ArchiveLimits`, into memory; entry paths are normalised (`..` cannot climb above the root) and
/// nothing is ever extracted to disk.
public struct ZipFileSystem: FileSystem {
    public let name: String
    private let files: [String: Data]
    private let directories: [String: [String]]

    /// - Throws: `ArchiveError` for a corrupt zip or one beyond the limits.
    public init(url: URL, limits: ArchiveLimits = ArchiveLimits(maxEntrySize: 256 << 20, maxTotalSize: 1 << 30, maxEntries: 200_000)) throws {
        var files: [String: Data] = [:]
        try ZipReader(url: url, limits: limits).forEachFile { path, contents in
            files[Self.normalize(path)] = contents
        }
        var directories: [String: Set<String>] = [:]
        for path in files.keys {
            var components = path.split(separator: "/").map(String.init)
            while let last = components.popLast() {
                directories["/" + components.joined(separator: "/"), default: []].insert(last)
            }
        }
        self.name = url.path
        self.files = files
        self.directories = directories.mapValues { $0.sorted() }
    }

    /// `/`-rooted, without `.` and with `..` resolved inside the archive.
    static func normalize(_ path: String) -> String {
        var out: [Substring] = []
        for component in path.split(separator: "/") {
            if component == "." { continue }
            if component == ".." { _ = out.popLast(); continue }
            out.append(component)
        }
        return "/" + out.joined(separator: "/")
    }

    public func read(_ path: String, limit: Int) throws -> Data? {
        guard let data = files[Self.normalize(path)] else { return nil }
        if data.count > limit { throw InventoryError.tooLarge(path: path, limit: limit) }
        return data
    }

    public func readPrefix(_ path: String, count: Int) throws -> Data? {
        files[Self.normalize(path)].map { $0.prefix(count) }
    }

    public func list(_ path: String) -> [String] {
        directories[Self.normalize(path)] ?? []
    }

    public func walk(_ path: String, skipping: Set<String>, visit: (WalkEntry) throws -> Void) rethrows {
        let base = Self.normalize(path)
        for name in list(base) {
            let child = base == "/" ? "/" + name : base + "/" + name
            if files[child] != nil {
                try visit(WalkEntry(path: child, isExecutable: true))
            } else if !skipping.contains(child) {
                try walk(child, skipping: skipping, visit: visit)
            }
        }
    }
}
