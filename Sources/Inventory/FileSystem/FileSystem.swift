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
    /// The names in a directory, sorted; empty when it does not exist.
    func list(_ path: String) -> [String]
    /// Every regular file below `path`, depth-first, sorted, symbolic links not followed, directories
    /// in `skipping` left out.
    func walk(_ path: String, skipping: Set<String>, visit: (String) throws -> Void) rethrows
}

extension FileSystem {
    /// 64 MiB: larger than any package database or manifest Vigil reads.
    public static var defaultLimit: Int { 64 << 20 }

    public func read(_ path: String) throws -> Data? { try read(path, limit: Self.defaultLimit) }

    public func walk(_ path: String, visit: (String) throws -> Void) rethrows { try walk(path, skipping: [], visit: visit) }

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
