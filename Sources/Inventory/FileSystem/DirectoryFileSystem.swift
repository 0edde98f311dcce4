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
        var resolved: [Substring] = []
        var pending = path.split(separator: "/")[...]
        var hops = 0
        while let component = pending.popFirst() {
            if component == "." { continue }
            if component == ".." {
                _ = resolved.popLast()
                continue
            }
            let candidate = root + "/" + (resolved + [component]).joined(separator: "/")
            var info = stat()
            if lstat(candidate, &info) == 0 && (info.st_mode & S_IFMT) == S_IFLNK {
                hops += 1
                guard hops <= 40, let target = try? FileManager.default.destinationOfSymbolicLink(atPath: candidate) else { return nil }
                if target.hasPrefix("/") { resolved = [] }
                pending = target.split(separator: "/")[...] + pending
            } else {
                resolved.append(component)
            }
        }
        return root + "/" + resolved.joined(separator: "/")
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
        guard let host = resolve(path) else { throw InventoryError.unreadable(path: path, reason: "too many levels of symbolic links") }
        var info = stat()
        guard stat(host, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, let handle = FileHandle(forReadingAtPath: host) else { return nil }
        defer { try? handle.close() }
        do {
            return try handle.read(upToCount: count) ?? Data()
        } catch {
            throw InventoryError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    public func list(_ path: String) -> [String] {
        guard let host = resolve(path) else { return [] }
        return ((try? FileManager.default.contentsOfDirectory(atPath: host)) ?? []).sorted()
    }

    public func walk(_ path: String, skipping: Set<String>, visit: (String) throws -> Void) rethrows {
        guard let host = resolve(path) else { return }
        let base = path.hasSuffix("/") ? String(path.dropLast()) : path
        for name in ((try? FileManager.default.contentsOfDirectory(atPath: host)) ?? []).sorted() {
            let child = host + "/" + name
            var info = stat()
            guard lstat(child, &info) == 0 else { continue }
            let inner = base + "/" + name
            switch info.st_mode & S_IFMT {
            case S_IFDIR where !skipping.contains(inner): try walk(inner, skipping: skipping, visit: visit)
            case S_IFREG: try visit(inner)
            default: continue  // links, devices, sockets: a rootfs walk does not follow them
            }
        }
    }
}
