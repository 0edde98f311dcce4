import AsyncHTTPClient
import Foundation
import NIOCore
import NIOHTTP1
import NIOSSL

/// How to reach registries: credentials, TLS and patience.
public struct RegistryOptions: Sendable {
    /// Plain HTTP, and TLS without certificate verification: for a local registry only.
    public var insecure = false
    /// A PEM file of certificate authorities to trust (a private registry's CA).
    public var caCertificate: String?
    public var username: String?
    public var password: String?
    /// `~/.docker/config.json` (its `auths` are used when no username is given).
    public var dockerConfig: String? = ProcessInfo.processInfo.environment["HOME"].map { "\($0)/.docker/config.json" }
    /// A response that sends nothing for this long is abandoned (a stalled registry).
    public var readTimeoutSeconds: Int64 = 60
    /// The longest any single request (a whole blob download) may take.
    public var requestTimeoutSeconds: Int64 = 3600

    public init() {}
}

/// `HOST[:PORT]/REPO[:TAG|@DIGEST]`; a first component without a dot, colon or `localhost` means
/// Docker Hub.
public struct RegistryReference: Hashable, Sendable, CustomStringConvertible {
    public var host: String
    public var repository: String
    public var tag: String?
    public var digest: String?

    public init(parsing text: String) throws {
        var rest = Substring(text)
        if let at = rest.firstIndex(of: "@") {
            digest = String(rest[rest.index(after: at)...])
            rest = rest[..<at]
            guard digest!.hasPrefix("sha256:"), digest!.count == 71 else { throw ImageError("\(text): malformed digest '\(digest!)'") }
        }
        let slash = rest.firstIndex(of: "/")
        let first = slash.map { rest[..<$0] } ?? ""
        if let slash, first.contains(".") || first.contains(":") || first == "localhost" {
            host = String(first)
            rest = rest[rest.index(after: slash)...]
        } else {
            host = "registry-1.docker.io"
        }
        if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
            tag = String(rest[rest.index(after: colon)...])
            rest = rest[..<colon]
        }
        repository = String(rest)
        if host == "registry-1.docker.io", !repository.contains("/") { repository = "library/" + repository }
        guard !repository.isEmpty, repository.allSatisfy({ $0.isLowercase || $0.isNumber || "._-/".contains($0) }) else {
            throw ImageError("\(text): '\(repository)' is not a valid repository name")
        }
        if tag == nil && digest == nil { tag = "latest" }
    }

    public var description: String { "\(host)/\(repository)" + (digest.map { "@\($0)" } ?? ":\(tag ?? "latest")") }

    /// A reference from its parts (a repository listed by the registry itself).
    public init(host: String, repository: String, tag: String? = nil, digest: String? = nil) {
        self.host = host
        self.repository = repository
        self.tag = tag
        self.digest = digest
    }
}

/// A registry answered 404 for something it was asked for.
struct RegistryNotFound: Error {
    var what: String
}

/// A Distribution v2 client for one image: manifests (with platform selection), config and layer
/// blobs, anonymous, basic and bearer-token authentication.
public final class RegistryClient: Sendable {
    let http: HTTPClient
    let options: RegistryOptions

    public init(options: RegistryOptions) throws {
        self.options = options
        var tls = TLSConfiguration.makeClientConfiguration()
        if let ca = options.caCertificate {
            do {
                tls.trustRoots = .certificates(try NIOSSLCertificate.fromPEMFile(ca))
            } catch {
                throw ImageError("\(ca): not a PEM certificate file (\(error))")
            }
        }
        if options.insecure { tls.certificateVerification = .none }
        var configuration = HTTPClient.Configuration(tlsConfiguration: tls, redirectConfiguration: .follow(max: 5, allowCycles: false),
                                                     timeout: .init(connect: .seconds(10), read: .seconds(options.readTimeoutSeconds)))
        configuration.httpVersion = .http1Only
        http = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup, configuration: configuration)
    }

    public func shutdown() async {
        try? await http.shutdown()
    }

    /// The image `reference` names, for `platform` when it is an index.
    public func resolve(_ reference: RegistryReference, platform: Platform) async throws -> ResolvedImage {
        let session = Session(client: self, reference: reference)
        var ref = reference.digest ?? reference.tag ?? "latest"
        var manifestDigest: String?
        for _ in 0..<3 {
            let (data, contentType, digest) = try await session.manifest(ref)
            let document = try ImageJSON.decode(ManifestDocument.self, data, what: "\(reference): manifest")
            if let manifests = document.manifests {
                let chosen = try selectPlatform(manifests, platform: platform, what: "\(reference)")
                ref = chosen.digest
                continue
            }
            manifestDigest = digest
            guard let config = document.config, let layers = document.layers else { throw ImageError("\(reference): manifest \(digest) has no config or layers (schema 1 manifests are not supported)") }
            let configData = try await session.smallBlob(config)
            let imageConfig = try ImageJSON.decode(ImageConfig.self, configData, what: "\(reference): config \(config.digest)")
            let diffIDs = imageConfig.rootfs?.diff_ids ?? []
            let metadata = ImageMetadata(
                source: "registry:\(reference)", registry: reference.host, repository: reference.repository,
                tags: reference.tag.map { [$0] } ?? [], digest: manifestDigest, configDigest: config.digest,
                mediaType: document.mediaType ?? contentType, architecture: imageConfig.architecture, os: imageConfig.os,
                created: imageConfig.created, author: imageConfig.author, layers: layers.map(\.digest)
            )
            let resolved = layers.enumerated().map { k, layer in
                ResolvedImage.Layer(descriptor: layer, diffID: k < diffIDs.count ? diffIDs[k] : nil) { scratch in
                    try await session.download(layer, into: scratch)
                }
            }
            return ResolvedImage(metadata: metadata, layers: resolved)
        }
        throw ImageError("\(reference): indexes nested too deeply")
    }

    /// The registry's repositories (`GET /v2/_catalog`, following `Link` pages), at most `limit`.
    public func repositories(host: String, limit: Int = 100_000) async throws -> [String] {
        struct Page: Decodable { var repositories: [String]? }
        let session = Session(client: self, reference: RegistryReference(host: host, repository: ""))
        session.notFoundIsAnswer = true
        return try await session.pages("/v2/_catalog?n=1000", limit: limit) { data in
            try ImageJSON.decode(Page.self, data, what: "registry \(host): catalog").repositories ?? []
        }
    }

    /// A repository's tags (`GET /v2/NAME/tags/list`, following `Link` pages); none when the
    /// repository is gone.
    public func tags(host: String, repository: String, limit: Int = 100_000) async throws -> [String] {
        struct Page: Decodable { var tags: [String]? }
        let session = Session(client: self, reference: RegistryReference(host: host, repository: repository))
        session.notFoundIsAnswer = true
        return try await session.pages("/v2/\(repository)/tags/list?n=1000", limit: limit, missing: []) { data in
            try ImageJSON.decode(Page.self, data, what: "registry \(host): tags of \(repository)").tags ?? []
        }
    }

    /// The digest of the manifest `reference` names now (for a tag, the top-level manifest or
    /// index it points to); nil when the registry no longer has it.
    public func manifestDigest(_ reference: RegistryReference) async throws -> String? {
        let session = Session(client: self, reference: reference)
        session.notFoundIsAnswer = true
        do {
            return try await session.manifest(reference.digest ?? reference.tag ?? "latest").2
        } catch is RegistryNotFound {
            return nil
        }
    }

    /// Requests for one repository, sharing the token a 401 challenge led to.
    final class Session: @unchecked Sendable {
        let client: RegistryClient
        let reference: RegistryReference
        let lock = NSLock()
        var authorization: String?

        init(client: RegistryClient, reference: RegistryReference) {
            self.client = client
            self.reference = reference
        }

        var base: String { (client.options.insecure ? "http://" : "https://") + reference.host }

        func manifest(_ ref: String) async throws -> (Data, String?, String) {
            let response = try await get("/v2/\(reference.repository)/manifests/\(ref)", accept: MediaType.accepted)
            let data = try await body(response, limit: 4 << 20, what: "manifest \(ref)")
            let digest = sha256Digest(data)
            if ref.hasPrefix("sha256:"), digest != ref {
                throw ImageError("\(reference): manifest \(ref) digest mismatch: content is \(digest)")
            }
            if let header = response.headers.first(name: "Docker-Content-Digest"), header.hasPrefix("sha256:"), header != digest {
                throw ImageError("\(reference): manifest digest mismatch: content is \(digest), the registry says \(header)")
            }
            return (data, response.headers.first(name: "Content-Type"), digest)
        }

        func smallBlob(_ descriptor: Descriptor) async throws -> Data {
            let response = try await get("/v2/\(reference.repository)/blobs/\(descriptor.digest)", accept: ["*/*"])
            let data = try await body(response, limit: 16 << 20, what: "blob \(descriptor.digest)")
            try ImageJSON.verify(data, digest: descriptor.digest, what: "\(reference): blob")
            return data
        }

        /// Streams a layer blob into a scratch file; its digest is checked when the layer is read.
        func download(_ descriptor: Descriptor, into scratch: URL) async throws -> FileRange {
            let response = try await get("/v2/\(reference.repository)/blobs/\(descriptor.digest)", accept: ["*/*"])
            let file = scratch.appending(path: "blob-\(descriptor.digest.replacingOccurrences(of: ":", with: "-"))-\(UUID().uuidString)")
            guard FileManager.default.createFile(atPath: file.path, contents: nil), let handle = FileHandle(forWritingAtPath: file.path) else {
                throw ImageError("cannot create \(file.path)")
            }
            defer { try? handle.close() }
            var written: Int64 = 0
            for try await chunk in response.body {
                written += Int64(chunk.readableBytes)
                if descriptor.size > 0, written > descriptor.size {
                    throw ImageError("\(reference): layer \(descriptor.digest) is larger than the \(descriptor.size) bytes its manifest says")
                }
                try handle.write(contentsOf: Data(chunk.readableBytesView))
            }
            if descriptor.size > 0, written != descriptor.size {
                throw ImageError("\(reference): layer \(descriptor.digest) ended after \(written) of \(descriptor.size) bytes")
            }
            return FileRange(path: file.path, offset: 0, length: written)
        }

        func body(_ response: HTTPClientResponse, limit: Int, what: String) async throws -> Data {
            var buffer = try await response.body.collect(upTo: limit)
            return Data(buffer.readBytes(length: buffer.readableBytes) ?? [])
        }

        /// A 404 throws `RegistryNotFound` (a tag or image that is gone is an answer, not a failure).
        var notFoundIsAnswer = false

        /// Every page of a listing: the next page is the `Link: <…>; rel="next"` target.
        func pages<T>(_ first: String, limit: Int, missing: [T]? = nil, _ items: (Data) throws -> [T]) async throws -> [T] {
            var out: [T] = []
            var path: String? = first
            while let next = path, out.count < limit {
                let response: HTTPClientResponse
                do {
                    response = try await get(next, accept: ["application/json"])
                } catch is RegistryNotFound {
                    if let missing { return missing }
                    throw ImageError("registry \(reference.host): \(next) was not found (does the registry allow listing?)")
                }
                out += try items(try await body(response, limit: 16 << 20, what: next))
                path = response.headers.first(name: "Link").flatMap(Self.nextPage)
            }
            return Array(out.prefix(limit))
        }

        /// The path of `<…>; rel="next"` in a `Link` header (same host only).
        static func nextPage(_ link: String) -> String? {
            guard link.contains("rel=\"next\""), let open = link.firstIndex(of: "<"), let close = link.firstIndex(of: ">"), open < close else { return nil }
            let target = String(link[link.index(after: open)..<close])
            if target.hasPrefix("/v2/") { return target }
            guard let url = URL(string: target), url.path.hasPrefix("/v2/") else { return nil }
            return url.path + (url.query.map { "?" + $0 } ?? "")
        }

        func get(_ path: String, accept: [String]) async throws -> HTTPClientResponse {
            var challenged = false
            while true {
                var request = HTTPClientRequest(url: base + path)
                request.headers.add(name: "Accept", value: accept.joined(separator: ", "))
                request.headers.add(name: "User-Agent", value: "vigil")
                if let authorization = lock.withLock({ authorization }) { request.headers.add(name: "Authorization", value: authorization) }
                let response: HTTPClientResponse
                do {
                    response = try await client.http.execute(request, timeout: .seconds(client.options.requestTimeoutSeconds))
                } catch {
                    throw ImageError("registry \(reference.host): GET \(path) failed: \(Self.describe(error))")
                }
                if response.status == .unauthorized, !challenged, let challenge = response.headers.first(name: "WWW-Authenticate") {
                    challenged = true
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    try await authenticate(challenge)
                    continue
                }
                if response.status == .notFound, notFoundIsAnswer {
                    _ = try? await response.body.collect(upTo: 1 << 20)
                    throw RegistryNotFound(what: path)
                }
                guard (200..<300).contains(Int(response.status.code)) else {
                    let text = (try? await body(response, limit: 64 << 10, what: path)).map { String(decoding: $0.prefix(300), as: UTF8.self) } ?? ""
                    let hint = response.status == .unauthorized ? " (credentials refused or missing)" : ""
                    throw ImageError("registry \(reference.host): GET \(path) answered \(response.status.code) \(response.status.reasonPhrase)\(hint)\(text.isEmpty ? "" : ": \(text)")")
                }
                return response
            }
        }

        static func describe(_ error: Error) -> String {
            if let error = error as? HTTPClientError {
                if error == .readTimeout { return "the registry stopped sending (read timeout)" }
                if error == .deadlineExceeded { return "the request took too long" }
                if error == .connectTimeout { return "connection timed out" }
            }
            return "\(error)"
        }

        /// Credentials for this registry: flags first, then the Docker config's `auths`.
        func credentials() -> (String, String)? {
            if let user = client.options.username, let password = client.options.password { return (user, password) }
            guard let path = client.options.dockerConfig, let data = FileManager.default.contents(atPath: path),
                  let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let auths = json["auths"] as? [String: Any] else { return nil }
            let keys = [reference.host, "https://\(reference.host)", "http://\(reference.host)",
                        reference.host == "registry-1.docker.io" ? "https://index.docker.io/v1/" : ""]
            for key in keys {
                guard let entry = auths[key] as? [String: Any], let auth = entry["auth"] as? String,
                      let decoded = Data(base64Encoded: auth).map({ String(decoding: $0, as: UTF8.self) }),
                      let colon = decoded.firstIndex(of: ":") else { continue }
                return (String(decoded[..<colon]), String(decoded[decoded.index(after: colon)...]))
            }
            return nil
        }

        func authenticate(_ challenge: String) async throws {
            let (scheme, parameters) = Self.parseChallenge(challenge)
            let basic = credentials().map { "Basic " + Data("\($0.0):\($0.1)".utf8).base64EncodedString() }
            switch scheme.lowercased() {
            case "basic":
                guard let basic else { throw ImageError("registry \(reference.host) requires credentials (--username/--password or ~/.docker/config.json)") }
                lock.withLock { authorization = basic }
            case "bearer":
                guard let realm = parameters["realm"], var components = URLComponents(string: realm) else {
                    throw ImageError("registry \(reference.host): bearer challenge without a realm")
                }
                var items = components.queryItems ?? []
                if let service = parameters["service"] { items.append(URLQueryItem(name: "service", value: service)) }
                items.append(URLQueryItem(name: "scope", value: parameters["scope"] ?? "repository:\(reference.repository):pull"))
                components.queryItems = items
                guard let url = components.string else { throw ImageError("registry \(reference.host): bad token realm '\(realm)'") }
                var request = HTTPClientRequest(url: url)
                if let basic { request.headers.add(name: "Authorization", value: basic) }
                let response: HTTPClientResponse
                do {
                    response = try await client.http.execute(request, timeout: .seconds(60))
                } catch {
                    throw ImageError("token service \(realm): \(Self.describe(error))")
                }
                let data = try await body(response, limit: 1 << 20, what: "token")
                guard response.status == .ok else {
                    throw ImageError("token service \(realm) answered \(response.status.code)\(basic == nil ? " (no credentials were given)" : " (credentials refused)")")
                }
                guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                      let token = (json["token"] as? String) ?? (json["access_token"] as? String), !token.isEmpty else {
                    throw ImageError("token service \(realm): the answer holds no token")
                }
                lock.withLock { authorization = "Bearer " + token }
            default:
                throw ImageError("registry \(reference.host): unsupported authentication scheme '\(scheme)'")
            }
        }

        /// `Bearer realm="…",service="…",scope="…"`.
        static func parseChallenge(_ header: String) -> (String, [String: String]) {
            let trimmed = header.trimmingCharacters(in: .whitespaces)
            let space = trimmed.firstIndex(of: " ") ?? trimmed.endIndex
            let scheme = String(trimmed[..<space])
            var parameters: [String: String] = [:]
            var rest = trimmed[space...].drop(while: { $0 == " " })
            while !rest.isEmpty {
                guard let eq = rest.firstIndex(of: "=") else { break }
                let key = rest[..<eq].trimmingCharacters(in: CharacterSet(charactersIn: " ,")).lowercased()
                rest = rest[rest.index(after: eq)...]
                var value = ""
                if rest.first == "\"" {
                    rest = rest.dropFirst()
                    let end = rest.firstIndex(of: "\"") ?? rest.endIndex
                    value = String(rest[..<end])
                    rest = end < rest.endIndex ? rest[rest.index(after: end)...] : ""
                } else {
                    let end = rest.firstIndex(of: ",") ?? rest.endIndex
                    value = String(rest[..<end])
                    rest = rest[end...]
                }
                rest = rest.drop(while: { $0 == "," || $0 == " " })
                parameters[key] = value
            }
            return (scheme, parameters)
        }
    }
}

/// Every kind of image reference `vigil sbom` and `vigil scan` accept.
public enum ImageReference: Sendable, CustomStringConvertible {
    case ociLayout(path: String, reference: String?)
    case ociArchive(path: String, reference: String?)
    case dockerArchive(path: String, reference: String?)
    case registry(RegistryReference)

    /// `oci:DIR[:TAG]`, `oci-archive:FILE[:TAG]`, `docker-archive:FILE[:TAG]`, `registry:REF`;
    /// nil when the text has none of these prefixes.
    public init?(transport text: String) throws {
        func split(_ rest: Substring) -> (String, String?) {
            // A tag follows the last colon unless that colon is part of the path.
            if let colon = rest.lastIndex(of: ":"), !rest[colon...].contains("/") {
                return (String(rest[..<colon]), String(rest[rest.index(after: colon)...]))
            }
            return (String(rest), nil)
        }
        if text.hasPrefix("oci:") {
            let (path, ref) = split(text.dropFirst(4))
            self = .ociLayout(path: path, reference: ref)
        } else if text.hasPrefix("oci-archive:") {
            let (path, ref) = split(text.dropFirst(12))
            self = .ociArchive(path: path, reference: ref)
        } else if text.hasPrefix("docker-archive:") {
            let (path, ref) = split(text.dropFirst(15))
            self = .dockerArchive(path: path, reference: ref)
        } else if text.hasPrefix("registry:") {
            self = .registry(try RegistryReference(parsing: String(text.dropFirst(9))))
        } else if text.hasPrefix("docker://") {
            self = .registry(try RegistryReference(parsing: String(text.dropFirst(9))))
        } else {
            return nil
        }
    }

    public var description: String {
        switch self {
        case let .ociLayout(path, ref): "oci:\(path)" + (ref.map { ":\($0)" } ?? "")
        case let .ociArchive(path, ref): "oci-archive:\(path)" + (ref.map { ":\($0)" } ?? "")
        case let .dockerArchive(path, ref): "docker-archive:\(path)" + (ref.map { ":\($0)" } ?? "")
        case let .registry(reference): "registry:\(reference)"
        }
    }

    /// Reads the manifest and config; layers are fetched later, one by one.
    public func resolve(platform: Platform, registry: RegistryClient?) async throws -> ResolvedImage {
        switch self {
        case let .ociLayout(path, ref):
            return try OCILayout.resolve(DirectoryStore(root: path), reference: ref, platform: platform, source: description)
        case let .ociArchive(path, ref):
            return try OCILayout.resolve(try TarIndex(path: path), reference: ref, platform: platform, source: description)
        case let .dockerArchive(path, ref):
            return try DockerArchive.resolve(try TarIndex(path: path), reference: ref, source: description)
        case let .registry(reference):
            guard let registry else { throw ImageError("\(description): no registry client") }
            return try await registry.resolve(reference, platform: platform)
        }
    }
}
