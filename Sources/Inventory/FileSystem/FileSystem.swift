import Foundation

/// A read-only view of an artifact's files (a host root, an unpacked image, a zip). Paths are
/// absolute inside the artifact (`/var/lib/dpkg/status`); nothing outside it can be reached.
public protocol FileSystem: Sendable {
    /// A name for messages (the directory or archive path).
    var name: String { get }
    /// The contents of a regular file, at most `limit` bytes; nil when there is no such file.
    /// - Throws: `InventoryError.tooLarge` beyond `limit`, or `.unreadable`.
    func read(_ path: String, limit: Int) throws -> Data?
    /// The first `count` bytes of a regular file (fewer when it is shorter); nil when there is no such file.
    func readPrefix(_ path: String, count: Int) throws -> Data?
    /// `count` bytes from `offset` of a regular file (fewer at its end); nil when there is no such file.
    func read(_ path: String, offset: Int, count: Int) throws -> Data?
    /// The names in a directory, sorted; empty when it does not exist.
    func list(_ path: String) -> [String]
    /// Every regular file below `path`, depth-first, sorted, symbolic links not followed, directories
    /// in `skipping` left out.
    func walk(_ path: String, skipping: Set<String>, visit: (WalkEntry) throws -> Void) rethrows
}

/// A regular file met by a walk.
public struct WalkEntry: Sendable {
    public let path: String
    /// The last path component.
    public let name: Substring
    /// True when any execute bit is set, or when the filesystem does not record modes (zip).
    public let isExecutable: Bool
    /// The size in bytes when the walk learned it (names an executable could have), else nil.
    public let size: Int?

    public init(path: String, isExecutable: Bool, size: Int? = nil) {
        self.path = path
        name = path.lastIndex(of: "/").map { path[path.index(after: $0)...] } ?? path[...]
        self.isExecutable = isExecutable
        self.size = size
    }
}

extension FileSystem {
    /// 64 MiB: larger than any package database or manifest Vigil reads.
    public static var defaultLimit: Int { 64 << 20 }

    public func read(_ path: String) throws -> Data? { try read(path, limit: Self.defaultLimit) }

    /// Reads the whole file and slices it: for filesystems already in memory.
    public func read(_ path: String, offset: Int, count: Int) throws -> Data? {
        guard let data = try read(path, limit: 1 << 30) else { return nil }
        guard offset >= 0, offset < data.count, count > 0 else { return Data() }
        return data.subdata(in: (data.startIndex + offset)..<(data.startIndex + min(data.count, offset + count)))
    }

    public func walk(_ path: String, visit: (WalkEntry) throws -> Void) rethrows { try walk(path, skipping: [], visit: visit) }

    /// The file as UTF-8 text (invalid bytes replaced), or nil.
    public func text(_ path: String) throws -> String? {
        try read(path).map { String(decoding: $0, as: UTF8.self) }
    }
}

/// Why part of an inventory could not be read. Each case names the file.
public enum InventoryError: Error, Hashable, Sendable, CustomStringConvertible {
    case notFound(String)
    case unreadable(path: String, reason: String)
    case tooLarge(path: String, limit: Int)
    case malformed(path: String, reason: String)

    public var description: String {
        switch self {
        case let .notFound(path): "\(path): no such file or directory"
        case let .unreadable(path, reason): "\(path): unreadable: \(reason)"
        case let .tooLarge(path, limit): "\(path): larger than \(limit) bytes"
        case let .malformed(path, reason): "\(path): \(reason)"
        }
    }
}

/// Resolves `path` component by component inside a root, for every filesystem view: `..` stops at
/// the root, an absolute link target restarts there, and at most 40 links are followed per lookup
/// (so cycles end). `link` answers the target when the in-root path it is given (`/a/b`) is a
/// symbolic link. Returns the resolved in-root path, or nil after too many links.
func resolveInsideRoot(_ path: String, link: (String) -> String?) -> String? {
    var resolved: [Substring] = []
    var pending = path.split(separator: "/")[...]
    var hops = 0
    while let component = pending.popFirst() {
        if component == "." { continue }
        if component == ".." {
            _ = resolved.popLast()
            continue
        }
        let candidate = "/" + (resolved + [component]).joined(separator: "/")
        if let target = link(candidate) {
            hops += 1
            guard hops <= 40 else { return nil }
            if target.hasPrefix("/") { resolved = [] }
            pending = target.split(separator: "/")[...] + pending
        } else {
            resolved.append(component)
        }
    }
    return "/" + resolved.joined(separator: "/")
}
