import Foundation

/// Files of an image layout by relative path: a directory, or the members of a tarball.
protocol LayoutStore: Sendable {
    var name: String { get }
    func range(_ path: String) throws -> FileRange?
}

extension LayoutStore {
    /// A small file's bytes (manifests, configs, index.json), at most `limit`.
    func data(_ path: String, limit: Int64 = 16 << 20) throws -> Data? {
        guard let range = try range(path) else { return nil }
        guard range.length <= limit else { throw ImageError("\(name): \(path) is \(range.length) bytes, over the \(limit)-byte limit for metadata") }
        guard let handle = FileHandle(forReadingAtPath: range.path) else { return nil }
        defer { try? handle.close() }
        try handle.seek(toOffset: UInt64(range.offset))
        let data = try handle.read(upToCount: Int(range.length)) ?? Data()
        guard data.count == range.length else { throw ImageError("\(name): \(path) is truncated") }
        return data
    }
}

struct DirectoryStore: LayoutStore {
    let root: String
    var name: String { root }

    func range(_ path: String) throws -> FileRange? {
        // Only plain relative names: a layout's own references cannot reach outside it.
        guard !path.hasPrefix("/"), !path.split(separator: "/").contains("..") else { throw ImageError("\(root): refuses the path '\(path)'") }
        let full = root + "/" + path
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: full, isDirectory: &isDirectory), !isDirectory.boolValue else { return nil }
        return try FileRange(path: full)
    }
}

/// An uncompressed tarball's regular files, indexed by one pass over its headers (seeking past
/// contents).
public struct TarIndex: LayoutStore {
    public let name: String
    public let members: [String: FileRange]

    public init(path: String) throws {
        name = path
        let stream = try LayerStream(name: path, source: try FileRange(path: path), compression: .none, expectedDigest: nil)
        let reader = TarReader(stream)
        var members: [String: FileRange] = [:]
        while let entry = try reader.next() {
            guard entry.kind == .file else { continue }
            let key = try String(entry.normalizedPath(in: path).dropFirst())
            members[key] = FileRange(path: path, offset: entry.contentOffset, length: entry.size)
        }
        self.members = members
    }

    func range(_ path: String) throws -> FileRange? {
        members[path.hasPrefix("./") ? String(path.dropFirst(2)) : path]
    }
}

/// OCI image layouts (a directory, or an `oci-archive` tarball of one).
enum OCILayout {
    static func resolve(_ store: LayoutStore, reference: String?, platform: Platform, source: String) throws -> ResolvedImage {
        guard let indexData = try store.data("index.json") else { throw ImageError("\(source): no index.json (not an OCI image layout)") }
        let index = try ImageJSON.decode(ManifestDocument.self, indexData, what: "\(source): index.json")
        var candidates = index.manifests ?? []
        guard !candidates.isEmpty else { throw ImageError("\(source): index.json lists no images") }
        var tags: [String] = []
        if let reference {
            candidates = candidates.filter { $0.annotations?["org.opencontainers.image.ref.name"] == reference || $0.digest == reference }
            guard !candidates.isEmpty else {
                let known = (index.manifests ?? []).compactMap { $0.annotations?["org.opencontainers.image.ref.name"] }
                throw ImageError("\(source): no image tagged '\(reference)' (tags: \(known.isEmpty ? "none" : known.joined(separator: ", ")))")
            }
            tags = [reference]
        } else if candidates.count > 1, Set(candidates.map(\.digest)).count > 1, candidates.allSatisfy({ $0.platform == nil }) {
            let known = candidates.compactMap { $0.annotations?["org.opencontainers.image.ref.name"] }
            throw ImageError("\(source): holds \(candidates.count) images; name one with :TAG (tags: \(known.joined(separator: ", ")))")
        } else if let tag = candidates.first?.annotations?["org.opencontainers.image.ref.name"] {
            tags = [tag]
        }
        func blob(_ digest: String) throws -> FileRange {
            let parts = digest.split(separator: ":", maxSplits: 1)
            guard parts.count == 2, parts[0] == "sha256", parts[1].count == 64, parts[1].allSatisfy(\.isHexDigit) else {
                throw ImageError("\(source): malformed digest '\(digest)'")
            }
            guard let range = try store.range("blobs/sha256/\(parts[1])") else { throw ImageError("\(source): blob \(digest) is missing") }
            return range
        }
        func json(_ descriptor: Descriptor, _ what: String) throws -> Data {
            let range = try blob(descriptor.digest)
            guard range.length <= 16 << 20, let data = try store.data("blobs/sha256/\(descriptor.digest.dropFirst(7))") else {
                throw ImageError("\(source): \(what) \(descriptor.digest) is too large or missing")
            }
            try ImageJSON.verify(data, digest: descriptor.digest, what: "\(source): \(what)")
            return data
        }
        // Indexes may nest; platform selection applies at each level.
        var descriptor = try select(candidates, platform: platform, what: source, allowSingle: true)
        for _ in 0..<4 {
            let data = try json(descriptor, "manifest")
            let document = try ImageJSON.decode(ManifestDocument.self, data, what: "\(source): manifest \(descriptor.digest)")
            if let manifests = document.manifests {
                descriptor = try selectPlatform(manifests, platform: platform, what: "\(source): index \(descriptor.digest)")
                continue
            }
            guard let config = document.config, let layers = document.layers else {
                throw ImageError("\(source): manifest \(descriptor.digest) has no config or layers")
            }
            let configData = try json(config, "config")
            let imageConfig = try ImageJSON.decode(ImageConfig.self, configData, what: "\(source): config \(config.digest)")
            let metadata = ImageMetadata(
                source: source, registry: nil, repository: nil, tags: tags, digest: descriptor.digest, configDigest: config.digest,
                mediaType: document.mediaType ?? descriptor.mediaType, architecture: imageConfig.architecture, os: imageConfig.os,
                created: imageConfig.created, author: imageConfig.author, layers: layers.map(\.digest)
            )
            let diffIDs = imageConfig.rootfs?.diff_ids ?? []
            let resolvedLayers = try layers.enumerated().map { k, layer in
                let range = try blob(layer.digest)
                return ResolvedImage.Layer(descriptor: layer, diffID: k < diffIDs.count ? diffIDs[k] : nil) { _ in range }
            }
            return ResolvedImage(metadata: metadata, layers: resolvedLayers)
        }
        throw ImageError("\(source): indexes nested too deeply")
    }

    static func select(_ candidates: [Descriptor], platform: Platform, what: String, allowSingle: Bool) throws -> Descriptor {
        if candidates.count == 1 || Set(candidates.map(\.digest)).count == 1 { return candidates[0] }
        return try selectPlatform(candidates, platform: platform, what: what)
    }
}

/// `docker save` tarballs: `manifest.json` lists each image's config and layer tars (legacy
/// `ID/layer.tar` or Docker 25's `blobs/sha256/…`). Layers are verified against the config's
/// `diff_ids` (the digests of the uncompressed tars).
enum DockerArchive {
    struct Entry: Codable {
        var Config: String
        var RepoTags: [String]?
        var Layers: [String]
    }

    static func resolve(_ store: TarIndex, reference: String?, source: String) throws -> ResolvedImage {
        guard let data = try store.data("manifest.json") else { throw ImageError("\(source): no manifest.json (not a docker-archive)") }
        let entries = try ImageJSON.decode([Entry].self, data, what: "\(source): manifest.json")
        guard !entries.isEmpty else { throw ImageError("\(source): manifest.json lists no images") }
        let entry: Entry
        if let reference {
            guard let match = entries.first(where: { ($0.RepoTags ?? []).contains(reference) || ($0.RepoTags ?? []).contains { $0.hasSuffix(":" + reference) } }) else {
                throw ImageError("\(source): no image tagged '\(reference)' (tags: \(entries.flatMap { $0.RepoTags ?? [] }.joined(separator: ", ")))")
            }
            entry = match
        } else {
            guard entries.count == 1 else { throw ImageError("\(source): holds \(entries.count) images; name one with :TAG") }
            entry = entries[0]
        }
        guard let configData = try store.data(entry.Config) else { throw ImageError("\(source): config \(entry.Config) is missing") }
        let configDigest = sha256Digest(configData)
        // Legacy archives name the config by its digest: check it.
        let configName = (entry.Config as NSString).lastPathComponent.replacingOccurrences(of: ".json", with: "")
        if configName.count == 64, configName.allSatisfy(\.isHexDigit), "sha256:" + configName != configDigest {
            throw ImageError("\(source): config \(entry.Config) does not match its name (content is \(configDigest))")
        }
        let config = try ImageJSON.decode(ImageConfig.self, configData, what: "\(source): config \(entry.Config)")
        let diffIDs = config.rootfs?.diff_ids ?? []
        guard diffIDs.count == entry.Layers.count else {
            throw ImageError("\(source): the config lists \(diffIDs.count) layers but manifest.json \(entry.Layers.count)")
        }
        var layers: [ResolvedImage.Layer] = []
        for (k, path) in entry.Layers.enumerated() {
            guard let range = try store.range(path) else { throw ImageError("\(source): layer \(path) is missing") }
            // The tar in the archive may be compressed (Docker 25 keeps registry blobs); its digest
            // is then the blob's name, else the diff id covers the uncompressed tar.
            let blobName = path.hasPrefix("blobs/sha256/") ? "sha256:" + path.dropFirst("blobs/sha256/".count) : nil
            let descriptor = Descriptor(mediaType: nil, digest: blobName ?? diffIDs[k], size: range.length)
            layers.append(ResolvedImage.Layer(descriptor: descriptor, diffID: diffIDs[k]) { _ in range })
        }
        let metadata = ImageMetadata(
            source: source, registry: nil, repository: nil, tags: entry.RepoTags ?? [], digest: nil, configDigest: configDigest,
            mediaType: nil, architecture: config.architecture, os: config.os, created: config.created, author: config.author,
            layers: layers.map(\.descriptor.digest)
        )
        return ResolvedImage(metadata: metadata, layers: layers)
    }
}
