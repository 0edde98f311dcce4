import Archives
import Foundation

/// What one image layer contributes, as far as cataloging cares: the files catalogers read (their
/// contents stored beside the index under numbered names, never under the entry's own path),
/// every symbolic link and directory, and the whiteouts. Built in one streaming pass over the layer
/// and cached by layer digest.
struct LayerIndex: Codable, Sendable {
    /// Bumped whenever what is kept changes, so older caches are not trusted.
    static let format = 2

    struct StoredFile: Codable, Sendable {
        var blob: String
        var size: Int64
        var mode: UInt32
    }

    var digest: String
    var files: [String: StoredFile] = [:]
    var symlinks: [String: String] = [:]
    var directories: Set<String> = []
    /// Paths this layer deletes from the layers below (`.wh.NAME`).
    var whiteouts: Set<String> = []
    /// Directories whose lower contents this layer hides (`.wh..wh..opq`).
    var opaque: Set<String> = []
    /// Entries skipped, each named with why (device files, links to files not kept).
    var problems: [String] = []
    var entries = 0
    var uncompressedSize: Int64 = 0

    /// Fixed places OS detection and the OS catalogers read.
    static let fixedPaths: Set<String> = [
        "/etc/os-release", "/usr/lib/os-release", "/etc/debian_version", "/etc/alpine-release", "/etc/redhat-release",
        "/etc/system-release", "/var/lib/dpkg/status", "/lib/apk/db/installed", "/usr/lib/apk/db/installed",
    ]

    enum Keep { case no, yes, ifPackageBinary }

    static func keep(_ entry: WalkEntry) -> Keep {
        if fixedPaths.contains(entry.path) || entry.path.hasPrefix("/var/lib/dpkg/status.d/")
            || entry.path.hasSuffix("/rpmdb.sqlite-wal") { return .yes }
        var binary = false
        for cataloger in Cataloging.catalogers where cataloger.wants(entry) {
            if cataloger is GoBinaryCataloger { binary = true } else { return .yes }
        }
        return binary ? .ifPackageBinary : .no
    }

    /// Streams the layer once and keeps what catalogers need in `directory/blobs`.
    static func build(_ stream: LayerStream, digest: String, into directory: URL, limits: LayerLimits, maxFileSize: Int64 = 1 << 30) throws -> LayerIndex {
        let blobs = directory.appending(path: "blobs")
        try FileManager.default.createDirectory(at: blobs, withIntermediateDirectories: true)
        var index = LayerIndex(digest: digest)
        let reader = TarReader(stream, limits: limits)
        var counter = 0
        var devices: [String] = []
        let source = stream.name
        while let entry = try reader.next() {
            index.entries += 1
            let path = try entry.normalizedPath(in: source)
            guard path != "/" else { continue }
            let slash = path.lastIndex(of: "/")!
            let parent = slash == path.startIndex ? "/" : String(path[..<slash])
            let base = path[path.index(after: slash)...]
            if base == ".wh..wh..opq" {
                index.opaque.insert(parent)
                continue
            }
            if base.hasPrefix(".wh.") {
                let target = (parent == "/" ? "" : parent) + "/" + base.dropFirst(4)
                index.whiteouts.insert(target)
                continue
            }
            // A later entry for the same path replaces an earlier one.
            index.files[path] = nil
            index.symlinks[path] = nil
            switch entry.kind {
            case .directory:
                index.directories.insert(path)
            case .symlink:
                index.symlinks[path] = entry.linkTarget
            case .hardlink:
                let target = try TarEntry.normalize(entry.linkTarget, in: source)
                if let stored = index.files[target] {
                    index.files[path] = stored
                } else if keep(WalkEntry(path: path, isExecutable: entry.mode & 0o111 != 0, size: nil)) == .yes {
                    index.problems.append("\(source): \(path) is a hard link to \(target), whose content was not kept")
                }
            case .file, .other:
                let walkEntry = WalkEntry(path: path, isExecutable: entry.mode & 0o111 != 0, size: Int(entry.size))
                let decision = keep(walkEntry)
                guard decision != .no else { continue }
                guard entry.size <= maxFileSize else {
                    index.problems.append("\(source): \(path) is \(entry.size) bytes, over the \(maxFileSize)-byte limit; not read")
                    continue
                }
                counter += 1
                let name = String(format: "%06d", counter)
                let url = blobs.appending(path: name)
                guard FileManager.default.createFile(atPath: url.path, contents: nil), let handle = FileHandle(forWritingAtPath: url.path) else {
                    throw ImageError("cannot write the layer cache at \(url.path)")
                }
                do {
                    try reader.streamContent { try handle.write(contentsOf: $0) }
                    try handle.close()
                } catch {
                    try? handle.close()
                    throw error
                }
                if decision == .ifPackageBinary {
                    // Only binaries that carry package data are worth keeping.
                    let sections = (try? ELF.sections(DirectoryFileSystem(root: blobs.path), "/" + name)) ?? nil
                    let useful = sections.map { $0.isEmpty || $0[".go.buildinfo"] != nil || $0[".dep-v0"] != nil } ?? false
                    if !useful {
                        try? FileManager.default.removeItem(at: url)
                        continue
                    }
                }
                index.files[path] = StoredFile(blob: name, size: entry.size, mode: entry.mode)
            case .characterDevice, .blockDevice, .fifo:
                devices.append(path)
            }
        }
        // Root filesystems carry /dev nodes: one line per layer names them.
        if !devices.isEmpty {
            let shown = devices.prefix(5).joined(separator: ", ") + (devices.count > 5 ? ", …" : "")
            index.problems.append("\(source): \(devices.count) device file(s) or FIFO(s) skipped (\(shown))")
        }
        index.uncompressedSize = stream.produced
        return index
    }
}

/// Per-layer indexes kept in the data directory by layer digest, so images sharing base layers
/// read them once. Each entry is built in a scratch directory and renamed into place whole.
public struct LayerCache: Sendable {
    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    func entryDirectory(_ digest: String) -> URL {
        directory.appending(path: "v\(LayerIndex.format)-" + digest.replacingOccurrences(of: ":", with: "-"))
    }

    func load(_ digest: String) -> (LayerIndex, URL)? {
        let dir = entryDirectory(digest)
        guard let data = FileManager.default.contents(atPath: dir.appending(path: "index.json").path),
              let index = try? JSONDecoder().decode(LayerIndex.self, from: data), index.digest == digest else { return nil }
        return (index, dir)
    }

    func store(_ index: LayerIndex, builtIn scratch: URL) throws -> URL {
        try JSONEncoder().encode(index).write(to: scratch.appending(path: "index.json"))
        let target = entryDirectory(index.digest)
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        do {
            try FileManager.default.moveItem(at: scratch, to: target)
        } catch {
            // Another scan stored the same layer meanwhile: use that one.
            guard load(index.digest) != nil else { throw error }
            try? FileManager.default.removeItem(at: scratch)
        }
        return target
    }
}
