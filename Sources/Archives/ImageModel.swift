import Foundation

/// Media types Vigil reads (OCI image spec and Docker's v2 schema 2).
public enum MediaType {
    public static let ociIndex = "application/vnd.oci.image.index.v1+json"
    public static let ociManifest = "application/vnd.oci.image.manifest.v1+json"
    public static let dockerList = "application/vnd.docker.distribution.manifest.list.v2+json"
    public static let dockerManifest = "application/vnd.docker.distribution.manifest.v2+json"
    public static let accepted = [ociIndex, ociManifest, dockerList, dockerManifest]
}

/// A content descriptor: media type, digest, size, and for index entries the platform.
public struct Descriptor: Codable, Hashable, Sendable {
    public var mediaType: String?
    public var digest: String
    public var size: Int64
    public var platform: Platform?
    public var annotations: [String: String]?

    public init(mediaType: String?, digest: String, size: Int64, platform: Platform? = nil, annotations: [String: String]? = nil) {
        self.mediaType = mediaType
        self.digest = digest
        self.size = size
        self.platform = platform
        self.annotations = annotations
    }
}

/// `os/architecture[/variant]`, as `--platform linux/arm64` spells it.
public struct Platform: Codable, Hashable, Sendable, CustomStringConvertible {
    public var os: String
    public var architecture: String
    public var variant: String?

    enum CodingKeys: String, CodingKey {
        case os, architecture, variant
    }

    public init(os: String, architecture: String, variant: String? = nil) {
        self.os = os
        self.architecture = architecture
        self.variant = variant
    }

    public init?(parsing text: String) {
        let parts = text.split(separator: "/").map(String.init)
        guard parts.count >= 2, parts.count <= 3, !parts[0].isEmpty, !parts[1].isEmpty else { return nil }
        self.init(os: parts[0], architecture: parts[1], variant: parts.count == 3 ? parts[2] : nil)
    }

    /// The machine Vigil runs on.
    public static var host: Platform {
        #if arch(arm64)
        Platform(os: "linux", architecture: "arm64")
        #else
        Platform(os: "linux", architecture: "amd64")
        #endif
    }

    public var description: String { "\(os)/\(architecture)" + (variant.map { "/\($0)" } ?? "") }

    /// True when an index entry's platform is this one (a missing variant matches any).
    public func matches(_ other: Platform) -> Bool {
        os == other.os && architecture == other.architecture && (variant == nil || other.variant == nil || variant == other.variant)
    }
}

/// An image manifest or an index, decoded loosely: either has `manifests` or `layers`.
struct ManifestDocument: Codable {
    var schemaVersion: Int?
    var mediaType: String?
    var config: Descriptor?
    var layers: [Descriptor]?
    var manifests: [Descriptor]?
}

/// The parts of an image configuration Vigil keeps.
public struct ImageConfig: Codable, Hashable, Sendable {
    public var architecture: String?
    public var os: String?
    public var variant: String?
    public var created: String?
    public var author: String?
    public var rootfs: RootFS?

    public struct RootFS: Codable, Hashable, Sendable {
        public var type: String?
        public var diff_ids: [String]?
    }
}

/// What is known about an image besides its files.
public struct ImageMetadata: Codable, Hashable, Sendable {
    /// Where it came from: `oci:DIR`, `docker-archive:FILE`, a registry host.
    public var source: String
    public var registry: String?
    public var repository: String?
    public var tags: [String]
    /// The manifest digest (what `repo@sha256:…` names).
    public var digest: String?
    public var configDigest: String
    public var mediaType: String?
    public var architecture: String?
    public var os: String?
    public var created: String?
    public var author: String?
    /// Layer digests (compressed blobs), bottom first.
    public var layers: [String]
}

/// An image ready to read: its metadata and, per layer, how to get the blob.
public struct ResolvedImage: Sendable {
    public var metadata: ImageMetadata
    public var layers: [Layer]

    public struct Layer: Sendable {
        public var descriptor: Descriptor
        /// The sha256 of the uncompressed tar (config `rootfs.diff_ids`), when the config lists it.
        public var diffID: String?
        /// Fetches the blob (a local file range, or a download into `scratch`).
        public var fetch: @Sendable (_ scratch: URL) async throws -> FileRange
    }
}

/// Errors about an image as a whole; layer errors are `ArchiveError`s naming the layer.
public struct ImageError: Error, CustomStringConvertible, Sendable {
    public let description: String
    public init(_ description: String) { self.description = description }
}

enum ImageJSON {
    static func decode<T: Decodable>(_ type: T.Type, _ data: Data, what: String) throws -> T {
        do {
            return try JSONDecoder().decode(type, from: data)
        } catch {
            throw ImageError("\(what): not a valid JSON document (\(Self.reason(error)))")
        }
    }

    static func reason(_ error: Error) -> String {
        switch error {
        case DecodingError.dataCorrupted(let context): return context.debugDescription
        case DecodingError.keyNotFound(let key, _): return "missing '\(key.stringValue)'"
        case DecodingError.typeMismatch(_, let context): return "wrong type at \(context.codingPath.map(\.stringValue).joined(separator: "."))"
        default: return "\(error)"
        }
    }

    /// Checks small JSON blobs (manifests, configs) against their digest.
    static func verify(_ data: Data, digest: String, what: String) throws {
        guard digest.hasPrefix("sha256:") else { throw ImageError("\(what): unsupported digest '\(digest)' (only sha256)") }
        let actual = sha256Digest(data)
        guard actual == digest.lowercased() else { throw ImageError("\(what): digest mismatch: content is \(actual), expected \(digest)") }
    }
}

/// Picks the manifest for `platform` from an index; errors list what the index offers.
func selectPlatform(_ manifests: [Descriptor], platform: Platform, what: String) throws -> Descriptor {
    let candidates = manifests.filter { $0.platform != nil && $0.platform?.architecture != "unknown" }
    if let exact = candidates.first(where: { platform.matches($0.platform!) }) { return exact }
    if candidates.isEmpty, manifests.count == 1 { return manifests[0] }
    let offered = candidates.compactMap { $0.platform?.description }.joined(separator: ", ")
    throw ImageError("\(what): no image for platform \(platform) (the index offers \(offered.isEmpty ? "none" : offered))")
}
