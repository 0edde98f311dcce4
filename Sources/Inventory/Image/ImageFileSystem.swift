import Foundation

/// The final filesystem of an image: its layers' indexes applied bottom to top (whiteouts and opaque
/// directories remove what lies below), seen through `FileSystem`. Symbolic links resolve inside the
/// image (at most 40 per lookup); only files kept in the layer cache have contents.
public struct ImageFileSystem: FileSystem {
    enum Node: Sendable {
        case file(layer: Int, LayerIndex.StoredFile)
        case symlink(layer: Int, String)
        case directory
    }

    public let name: String
    let layers: [LayerIndex]
    let layerDirectories: [URL]
    let nodes: [String: Node]
    let children: [String: [String]]

    init(name: String, layers: [LayerIndex], directories: [URL]) {
        self.name = name
        self.layers = layers
        layerDirectories = directories
        var nodes: [String: Node] = ["/": .directory]
        func removeTree(_ path: String) {
            nodes[path] = nil
            let prefix = path == "/" ? "/" : path + "/"
            for key in nodes.keys where key.hasPrefix(prefix) && key != "/" { nodes[key] = nil }
        }
        func addParents(_ path: String) {
            var parent = path
            while let slash = parent.lastIndex(of: "/"), slash != parent.startIndex {
                parent = String(parent[..<slash])
                if case .directory = nodes[parent] { return }
                nodes[parent] = .directory
            }
        }
        for (k, layer) in layers.enumerated() {
            for dir in layer.opaque {
                let prefix = dir == "/" ? "/" : dir + "/"
                for key in nodes.keys where key.hasPrefix(prefix) && key != dir && key != "/" { nodes[key] = nil }
            }
            for path in layer.whiteouts { removeTree(path) }
            for dir in layer.directories {
                if case .directory = nodes[dir] {} else { removeTree(dir); nodes[dir] = .directory }
                addParents(dir)
            }
            for (path, target) in layer.symlinks {
                removeTree(path)
                nodes[path] = .symlink(layer: k, target)
                addParents(path)
            }
            for (path, file) in layer.files {
                removeTree(path)
                nodes[path] = .file(layer: k, file)
                addParents(path)
            }
        }
        var children: [String: [String]] = [:]
        for key in nodes.keys where key != "/" {
            let slash = key.lastIndex(of: "/")!
            let parent = slash == key.startIndex ? "/" : String(key[..<slash])
            children[parent, default: []].append(String(key[key.index(after: slash)...]))
        }
        self.nodes = nodes
        self.children = children.mapValues { $0.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) } }
    }

    /// The image as it stood after layer `last` (for finding the layer that introduced a package).
    func view(upTo last: Int) -> ImageFileSystem {
        ImageFileSystem(name: name, layers: Array(layers[...last]), directories: Array(layerDirectories[...last]))
    }

    /// The resolved path and its node; links followed inside the image.
    func resolve(_ path: String) throws -> (String, Node)? {
        let resolved = resolveInsideRoot(path) { candidate in
            if case let .symlink(_, target) = nodes[candidate] { return target }
            return nil
        }
        guard let resolved else { throw InventoryError.unreadable(path: path, reason: "too many levels of symbolic links") }
        return nodes[resolved].map { (resolved, $0) }
    }

    func storedFile(_ path: String) throws -> (URL, LayerIndex.StoredFile, Int)? {
        guard let (_, node) = try resolve(path), case let .file(layer, file) = node else { return nil }
        return (layerDirectories[layer].appending(path: "blobs/\(file.blob)"), file, layer)
    }

    /// The layer whose file `path` is, in the final image.
    func layer(of path: String) -> Int? {
        (try? storedFile(path))??.2
    }

    public func read(_ path: String, limit: Int) throws -> Data? {
        guard let (url, file, _) = try storedFile(path) else { return nil }
        if file.size > Int64(limit) { throw InventoryError.tooLarge(path: path, limit: limit) }
        do {
            return try Data(contentsOf: url)
        } catch {
            throw InventoryError.unreadable(path: path, reason: error.localizedDescription)
        }
    }

    public func readPrefix(_ path: String, count: Int) throws -> Data? {
        try read(path, offset: 0, count: count)
    }

    public func read(_ path: String, offset: Int, count: Int) throws -> Data? {
        guard let (url, file, _) = try storedFile(path) else { return nil }
        guard offset >= 0, Int64(offset) < file.size, count > 0 else { return Data() }
        guard let handle = FileHandle(forReadingAtPath: url.path) else { throw InventoryError.unreadable(path: path, reason: "layer cache entry missing") }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(offset))
        return try handle.read(upToCount: count) ?? Data()
    }

    public func list(_ path: String) -> [String] {
        guard let (resolved, node) = try? resolve(path), case .directory = node else { return [] }
        return children[resolved] ?? []
    }

    public func walk(_ path: String, skipping: Set<String>, visit: (WalkEntry) throws -> Void) rethrows {
        let parts = path.split(separator: "/").filter { $0 != "." }
        let key = "/" + parts.joined(separator: "/")
        for child in children[key] ?? [] {
            let inner = (key == "/" ? "" : key) + "/" + child
            switch nodes[inner] {
            case .directory? where !skipping.contains(inner): try walk(inner, skipping: skipping, visit: visit)
            case let .file(_, file)?: try visit(WalkEntry(path: inner, isExecutable: file.mode & 0o111 != 0, size: Int(file.size)))
            default: continue
            }
        }
    }
}
