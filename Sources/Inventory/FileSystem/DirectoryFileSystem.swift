import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A directory tree seen as an artifact's root. Symbolic links are resolved by Vigil, component by
/// component, inside the root: an absolute target restarts at the root, `..` stops at it, at most 40
/// links are followed per lookup (so cycles end), and nothing outside the root is ever opened.
public struct DirectoryFileSystem: FileSystem {
    public let root: String
    public var name: String { root }
    /// Resolved directories, so reading many files of one directory resolves it once.
    private let directories = ResolvedDirectories()

    /// - Throws: `InventoryError.notFound` when `root` is not a directory.
    public init(root: String) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw InventoryError.notFound(root)
        }
        self.root = root.hasSuffix("/") && root.count > 1 ? String(root.dropLast()) : root
    }

    /// The host path of `path`, with every symbolic link resolved inside the root; nil when a link
    /// chain is too long.
    func resolve(_ path: String) -> String? {
        // The parent directory's resolution is remembered; only the last component is looked at anew.
        if let slash = path.lastIndex(of: "/"), slash != path.startIndex {
            let parent = String(path[..<slash]), last = path[path.index(after: slash)...]
            if last != "..", last != ".", !last.isEmpty {
                let resolvedParent: String
                if let known = directories.get(parent) {
                    resolvedParent = known
                } else {
                    guard let fresh = resolveComponents(parent) else { return nil }
                    directories.set(parent, fresh)
                    resolvedParent = fresh
                }
                let candidate = resolvedParent + "/" + last
                var info = stat()
                if lstat(candidate, &info) != 0 || (info.st_mode & S_IFMT) != S_IFLNK { return candidate }
                // A link: resolve it from the parent's resolved place, inside the root.
                return resolveComponents(String(resolvedParent.dropFirst(root.count)) + "/" + last)
            }
        }
        return resolveComponents(path)
    }

    private func resolveComponents(_ path: String) -> String? {
        let inRoot = resolveInsideRoot(path) { candidate in
            let host = root + candidate
            var info = stat()
            guard lstat(host, &info) == 0, (info.st_mode & S_IFMT) == S_IFLNK else { return nil }
            // An unreadable link ends the lookup as a link that goes nowhere.
            return (try? FileManager.default.destinationOfSymbolicLink(atPath: host)) ?? "/\u{1}unreadable-link"
        }
        return inRoot.map { root + ($0 == "/" ? "/" : $0) }
    }

    public func read(_ path: String, limit: Int) throws -> Data? {
        guard let host = resolve(path) else { throw InventoryError.unreadable(path: path, reason: "too many levels of symbolic links") }
        var info = stat()
        guard stat(host, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        if Int(info.st_size) > limit { throw InventoryError.tooLarge(path: path, limit: limit) }
        do {
            return try Data(contentsOf: URL(fileURLWithPath: host))
        } catch {
            throw InventoryError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    public func readPrefix(_ path: String, count: Int) throws -> Data? {
        try read(path, offset: 0, count: count)
    }

    public func read(_ path: String, offset: Int, count: Int) throws -> Data? {
        guard let host = resolve(path) else { throw InventoryError.unreadable(path: path, reason: "too many levels of symbolic links") }
        let fd = open(host, O_RDONLY | O_CLOEXEC | O_NOFOLLOW | O_NONBLOCK)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else { return nil }
        guard offset >= 0, offset < Int(info.st_size), count > 0 else { return Data() }
        var buffer = [UInt8](repeating: 0, count: min(count, Int(info.st_size) - offset))
        var filled = 0
        while filled < buffer.count {
            let n = buffer.withUnsafeMutableBytes { raw in pread(fd, raw.baseAddress! + filled, raw.count - filled, off_t(offset + filled)) }
            if n < 0 && errno == EINTR { continue }
            guard n >= 0 else { throw InventoryError.unreadable(path: path, reason: String(cString: strerror(errno))) }
            if n == 0 { break }
            filled += n
        }
        return Data(buffer[..<filled])
    }

    public func list(_ path: String) -> [String] {
        guard let host = resolve(path) else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: host)) ?? []).sorted()
    }

    public func walk(_ path: String, skipping: Set<String>, visit: (WalkEntry) throws -> Void) rethrows {
        guard let host = resolve(path) else { return }
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        // readdir's d_type tells files from directories and links without a stat per entry; modes
        // are read only for names an executable could have.
        guard let directory = opendir(host) else { return }
        defer { closedir(directory) }
        let directoryFD = dirfd(directory)
        var entries: [(name: String, type: UInt8)] = []
        while let entry = readdir(directory) {
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            entries.append((name, entry.pointee.d_type))
        }
        let inBin = base.hasSuffix("/bin") || base.hasSuffix("/sbin")
        // Byte order: the same on every machine, and cheaper than String's Unicode ordering.
        for (name, declared) in entries.sorted(by: { $0.name.utf8.lexicographicallyPrecedes($1.name.utf8) }) {
            var type = declared
            var info = stat()
            let mayBeBinary = inBin || !name.utf8.contains(UInt8(ascii: "."))
            if type == UInt8(DT_UNKNOWN) || (type == UInt8(DT_REG) && mayBeBinary) {
                guard fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0 else { continue }
                switch info.st_mode & S_IFMT {
                case S_IFDIR: type = UInt8(DT_DIR)
                case S_IFREG: type = UInt8(DT_REG)
                default: continue
                }
            }
            let inner = base + "/" + name
            switch type {
            case UInt8(DT_DIR) where !skipping.contains(inner): try walk(inner, skipping: skipping, visit: visit)
            case UInt8(DT_REG): try visit(WalkEntry(path: inner, isExecutable: mayBeBinary && info.st_mode & 0o111 != 0, size: mayBeBinary ? Int(info.st_size) : nil))
            default: continue  // links, devices, sockets: a rootfs walk does not follow them
            }
        }
    }
}

/// A bounded, thread-safe map of directories already resolved inside a root.
final class ResolvedDirectories: @unchecked Sendable {
    private var map: [String: String] = [:]
    private let lock = NSLock()

    func get(_ key: String) -> String? { lock.withLock { map[key] } }

    func set(_ key: String, _ value: String) {
        lock.withLock {
            if map.count >= 50_000 { map.removeAll(keepingCapacity: true) }
            map[key] = value
        }
    }
}
