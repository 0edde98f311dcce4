import Archives
import Foundation
import VigilCore

/// An image's inventory with what is known about the image itself.
public struct ImageInventory: Codable, Sendable {
    public var image: ImageMetadata
    public var inventory: Inventory
    /// Layers whose index came from the cache (not read again).
    public var cachedLayers: Int
    /// Uncompressed bytes read from layers in this scan.
    public var bytesRead: Int64
}

/// Reads an image layer by layer into an inventory: each layer is fetched, streamed once
/// (decompressed, digest-checked, its tar entries indexed) unless its index is cached, then the
/// layers are merged with their whiteouts and cataloged, and every package gets the digest of the
/// layer that introduced it.
public enum ImageScanner {
    public struct Options: Sendable {
        /// Where per-layer indexes are kept between scans; nil keeps nothing (a scratch cache).
        public var cache: LayerCache?
        /// Vigil's scratch directory: downloads and half-built indexes live here only.
        public var scratch: URL
        public var limits: LayerLimits
        /// Told what is happening, layer by layer (for a progress line).
        public var progress: (@Sendable (String) -> Void)?

        public init(cache: LayerCache?, scratch: URL, limits: LayerLimits = LayerLimits(), progress: (@Sendable (String) -> Void)? = nil) {
            self.cache = cache
            self.scratch = scratch
            self.limits = limits
            self.progress = progress
        }
    }

    public static func scan(_ image: ResolvedImage, options: Options) async throws -> ImageInventory {
        let work = options.scratch.appending(path: "vigil-image-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: work, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: work) }
        // Without a persistent cache, indexes live in the scratch directory for this scan only.
        let cache = options.cache ?? LayerCache(directory: work.appending(path: "layers"))
        var indexes: [LayerIndex] = []
        var directories: [URL] = []
        var cached = 0
        var bytes: Int64 = 0
        let label = image.metadata.source
        for (k, layer) in image.layers.enumerated() {
            let digest = layer.descriptor.digest
            let short = String(digest.prefix(19))
            if let (index, dir) = cache.load(digest) {
                options.progress?("layer \(k + 1)/\(image.layers.count) \(short): cached")
                indexes.append(index)
                directories.append(dir)
                cached += 1
                continue
            }
            options.progress?("layer \(k + 1)/\(image.layers.count) \(short): fetching \(layer.descriptor.size >> 20) MiB")
            let range = try await layer.fetch(work)
            options.progress?("layer \(k + 1)/\(image.layers.count) \(short): reading")
            defer { if range.path.hasPrefix(work.path) { try? FileManager.default.removeItem(atPath: range.path) } }
            let name = "\(label) layer \(k + 1) (\(digest))"
            let compression = layer.descriptor.mediaType.flatMap(LayerCompression.init(mediaType:))
            let stream = try LayerStream(name: name, source: range, compression: compression, expectedDigest: digest, limits: options.limits)
            let building = work.appending(path: "build-\(k)")
            let index = try LayerIndex.build(stream, digest: digest, into: building, limits: options.limits)
            bytes += index.uncompressedSize
            directories.append(try cache.store(index, builtIn: building))
            indexes.append(index)
        }
        options.progress?("cataloging \(image.layers.count) layers")
        let fs = ImageFileSystem(name: label, layers: indexes, directories: directories)
        var inventory = Cataloging.inventory(of: fs)
        inventory.problems += indexes.flatMap(\.problems)
        attributeLayers(&inventory, fs: fs, digests: image.layers.map(\.descriptor.digest))
        return ImageInventory(image: image.metadata, inventory: inventory, cachedLayers: cached, bytesRead: bytes)
    }

    /// Each package's layer: the one holding its file in the final image, unless an earlier layer's
    /// version of that file already listed the same package (a package database rewritten by later
    /// installs keeps the packages that came before).
    static func attributeLayers(_ inventory: inout Inventory, fs: ImageFileSystem, digests: [String]) {
        var earlier: [Int: Set<String>] = [:]
        func key(_ p: Package) -> String { "\(p.name)\u{0}\(p.version)\u{0}\(p.path)" }
        func packages(upTo k: Int) -> Set<String> {
            if let known = earlier[k] { return known }
            let found = Set(Cataloging.inventory(of: fs.view(upTo: k)).packages.map(key))
            earlier[k] = found
            return found
        }
        for n in inventory.packages.indices {
            let package = inventory.packages[n]
            guard let final = fs.layer(of: package.path) else { continue }
            var layer = final
            for k in 0..<final where fs.layers[k].files[package.path] != nil {
                if packages(upTo: k).contains(key(package)) {
                    layer = k
                    break
                }
            }
            inventory.packages[n].layer = digests[layer]
        }
    }
}
