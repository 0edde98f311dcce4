import Advisories
import Archives
import Crypto
import Findings
import Foundation
import Inventory
import Storage
import VigilCore

/// OCI registries (AWS_ECR_REPOSITORY / AWS_ECR_CONTAINER_IMAGE): a registry is added with its
/// credentials and repository patterns, and notifies Vigil of pushes (the Distribution registry's
/// notification envelope, `Authorization: Bearer TOKEN`); each pushed image is pulled and scanned.
extension ScanService {
    /// A registry as stored (the password sealed, the notification token kept only as a hash).
    struct RegistryRecord: Codable {
        var name: String
        var account: String
        var region: String
        var url: String
        var insecure: Bool
        var username: String?
        var sealedPassword: String?
        var include: [String]
        var exclude: [String]
        var tokenHash: String
    }

    public struct RegistryRegistration: Codable, Sendable {
        public var name: String
        public var url: String
        public var insecure: Bool?
        public var username: String?
        public var password: String?
        public var include: [String]?
        public var exclude: [String]?

        public init(name: String, url: String, insecure: Bool?, username: String?, password: String?, include: [String]?, exclude: [String]?) {
            self.name = name
            self.url = url
            self.insecure = insecure
            self.username = username
            self.password = password
            self.include = include
            self.exclude = exclude
        }
    }

    static func settingName(_ registry: String) -> String { "registry:\(registry)" }

    /// Adds (or replaces) a registry; returns its notification token, shown only now.
    public func addRegistry(_ r: RegistryRegistration, account: String, region: String) throws -> String {
        guard r.name.range(of: "^[a-z0-9][a-z0-9._-]{0,62}$", options: .regularExpression) != nil else {
            throw ServiceError("registry name '\(r.name)' must be 1 to 63 lowercase letters, digits, dots, hyphens or underscores")
        }
        guard let url = URL(string: r.url), let scheme = url.scheme, ["http", "https"].contains(scheme), url.host != nil else {
            throw ServiceError("registry url '\(r.url)' must be http:// or https:// with a host")
        }
        if let existing = try store.setting(account: "", region: "", name: Self.settingName(r.name)),
           let record = try? JSONDecoder().decode(RegistryRecord.self, from: Data(existing.value.utf8)), record.account != account {
            throw ServiceError("registry name '\(r.name)' is taken by another account")
        }
        let token = ServiceStore.newAccessKey().secret.filter { $0.isLetter || $0.isNumber }
        let record = RegistryRecord(name: r.name, account: account, region: region, url: r.url, insecure: r.insecure ?? false, username: r.username,
                                    sealedPassword: try r.password.map { try store.seal($0).base64EncodedString() },
                                    include: r.include ?? ["*"], exclude: r.exclude ?? [], tokenHash: Self.hash(token))
        try store.setSetting(account: "", region: "", name: Self.settingName(r.name), value: String(decoding: try Self.encoder.encode(record), as: UTF8.self))
        // What the registry already holds is found by listing it, now and then on the schedule.
        try enqueueRegistrySync(r.name)
        return token
    }

    static func hash(_ token: String) -> String { SHA256.hash(data: Data(token.utf8)).map { String(format: "%02x", $0) }.joined() }

    func registry(_ name: String) throws -> RegistryRecord? {
        guard let stored = try store.setting(account: "", region: "", name: Self.settingName(name)) else { return nil }
        return try JSONDecoder().decode(RegistryRecord.self, from: Data(stored.value.utf8))
    }

    struct ImagePayload: Codable {
        var registry: String
        var repository: String
        var digest: String
        var tag: String?
        var pushedAt: Double
        /// Every tag naming the image (a listing); a push names one in `tag`.
        var tags: [String]? = nil
    }

    struct RegistrySyncPayload: Codable {
        var registry: String
    }

    /// Queues a listing of one registry (once: a listing already queued is not queued again).
    public func enqueueRegistrySync(_ name: String) throws {
        let payload = String(decoding: try Self.encoder.encode(RegistrySyncPayload(registry: name)), as: UTF8.self)
        try store.enqueue(kind: "sync-registry", key: "sync-registry:\(name)", payload: payload)
    }

    /// Every registry's name.
    func registryNames() throws -> [String] {
        try store.settings(account: "", region: "", prefix: "registry:").keys.map { String($0.dropFirst("registry:".count)) }.sorted()
    }

    func client(_ record: RegistryRecord) throws -> RegistryClient {
        var options = RegistryOptions()
        options.insecure = record.insecure
        options.dockerConfig = nil
        options.username = record.username
        options.password = try record.sealedPassword.flatMap { Data(base64Encoded: $0) }.map { try store.unseal($0) }
        return try RegistryClient(options: options)
    }

    static func host(_ record: RegistryRecord) -> String {
        URL(string: record.url).map { url in url.port.map { "\(url.host ?? ""):\($0)" } ?? (url.host ?? "") } ?? record.url
    }

    /// A covered image's `resourceMetadata`.
    static func imageMetadata(repository: String, tags: [String], pulledAt: Double) -> JSONValue {
        var image: [String: JSONValue] = ["imagePulledAt": .number(pulledAt)]
        if !tags.isEmpty { image["tags"] = .array(tags.map { .string($0) }) }
        return .object(["ecrRepository": .object(["name": .string(repository), "scanFrequency": .string("SCAN_ON_PUSH")]), "ecrImage": .object(image)])
    }

    /// Lists a registry's watched repositories and their tags (what notifications may have missed:
    /// images pushed before the registry was added, or while Vigil was down). Images not yet
    /// covered are queued for scanning; covered images get their current tags (a tag moved or
    /// deleted); images the registry no longer has leave coverage, their findings closed.
    func syncRegistry(_ name: String) async throws {
        guard let record = try registry(name) else { return }
        let client = try client(record)
        do {
            try await syncRegistry(record, client)
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
    }

    private func syncRegistry(_ record: RegistryRecord, _ client: RegistryClient) async throws {
        let host = Self.host(record)
        // repository → digest → tags, as the registry has them now.
        var live: [String: [String: Set<String>]] = [:]
        for repository in try await client.repositories(host: host) where watched(repository, record) {
            var digests: [String: Set<String>] = [:]
            for tag in try await client.tags(host: host, repository: repository) {
                if let digest = try await client.manifestDigest(RegistryReference(host: host, repository: repository, tag: tag)) {
                    digests[digest, default: []].insert(tag)
                }
            }
            live[repository] = digests
        }
        let prefix = "arn:aws:ecr:\(record.region):\(record.account):repository/"
        var stored: [String: ResourceRecord] = [:]
        for key in try store.inventoryKeys() where key.account == record.account && key.region == record.region && key.resourceID.hasPrefix(prefix) {
            guard let r = try storedRecord(account: key.account, region: key.region, resourceID: key.resourceID) else { continue }
            if r.coverageType == "AWS_ECR_CONTAINER_IMAGE", r.resource.details?.awsEcrContainerImage?.registry == record.name { stored[key.resourceID] = r }
        }
        let now = Date().timeIntervalSince1970.rounded()
        for (repository, digests) in live {
            for (digest, tags) in digests {
                let arn = prefix + "\(repository)/\(digest)"
                if let r = stored[arn] {
                    try retag(r, tags: tags.sorted(), account: record.account, region: record.region)
                    continue
                }
                let payload = ImagePayload(registry: record.name, repository: repository, digest: digest, tag: nil, pushedAt: now, tags: tags.sorted())
                try store.enqueue(kind: "scan-image", key: "scan-image:\(record.name):\(repository)@\(digest):",
                                  payload: String(decoding: try Self.encoder.encode(payload), as: UTF8.self))
            }
        }
        for (arn, r) in stored {
            guard let image = r.resource.details?.awsEcrContainerImage, watched(image.repositoryName, record),
                  live[image.repositoryName]?[image.imageHash] == nil else { continue }
            if try await client.manifestDigest(RegistryReference(host: host, repository: image.repositoryName, digest: image.imageHash)) != nil {
                try retag(r, tags: [], account: record.account, region: record.region)
            } else {
                try retire(account: record.account, region: record.region, resourceID: arn)
            }
        }
    }

    /// Gives a covered image its current tags (stored and evaluated again: findings name them).
    func retag(_ r: ResourceRecord, tags: [String], account: String, region: String) throws {
        guard var image = r.resource.details?.awsEcrContainerImage, (image.imageTags ?? []) != tags else { return }
        image.imageTags = tags.isEmpty ? nil : tags
        var record = r
        record.resource.details?.awsEcrContainerImage = image
        var pulledAt = Date().timeIntervalSince1970.rounded()
        if case let .number(value)? = r.metadata?["ecrImage"]?["imagePulledAt"] { pulledAt = value }
        record.metadata = Self.imageMetadata(repository: image.repositoryName, tags: tags, pulledAt: pulledAt)
        try submit(record, account: account, region: region)
    }

    static let manifestTypes: Set<String> = [
        "application/vnd.oci.image.manifest.v1+json", "application/vnd.oci.image.index.v1+json",
        "application/vnd.docker.distribution.manifest.v2+json", "application/vnd.docker.distribution.manifest.list.v2+json",
    ]

    /// A notification from the registry: each manifest push of a watched repository queues a scan.
    /// Returns how many were queued; nil when the registry or token is wrong.
    public func registryEvent(name: String, bearer: String?, body: Data) throws -> Int? {
        guard let record = try registry(name), let bearer else { return nil }
        guard constantTimeEqual(Self.hash(bearer).utf8, record.tokenHash.utf8) else { return nil }
        struct Envelope: Decodable {
            struct Event: Decodable {
                struct Target: Decodable { var mediaType: String?; var digest: String?; var repository: String?; var tag: String? }
                var action: String?
                var target: Target?
            }
            var events: [Event]
        }
        let envelope: Envelope
        do { envelope = try JSONDecoder().decode(Envelope.self, from: body) } catch {
            throw ServiceError("not a registry notification envelope: \(error)")
        }
        var queued = 0
        // A pull keeps an image under watch for the pull-date rescan duration.
        for event in envelope.events where event.action == "pull" {
            guard let target = event.target, let digest = target.digest, let repository = target.repository,
                  Self.manifestTypes.contains(target.mediaType ?? ""), watched(repository, record) else { continue }
            let arn = "arn:aws:ecr:\(record.region):\(record.account):repository/\(repository)/\(digest)"
            try store.setSetting(account: record.account, region: record.region, name: "pulled:\(arn)", value: "\(Date().timeIntervalSince1970.rounded())")
        }
        for event in envelope.events where event.action == "push" {
            guard let target = event.target, let digest = target.digest, let repository = target.repository,
                  Self.manifestTypes.contains(target.mediaType ?? ""), watched(repository, record) else { continue }
            let payload = ImagePayload(registry: name, repository: repository, digest: digest, tag: target.tag, pushedAt: Date().timeIntervalSince1970.rounded())
            // One scan per (registry, repository, digest, tag): a tag pushed again is not scanned twice at once.
            if try store.enqueue(kind: "scan-image", key: "scan-image:\(name):\(repository)@\(digest):\(target.tag ?? "")",
                                 payload: String(decoding: try Self.encoder.encode(payload), as: UTF8.self)) {
                queued += 1
            }
        }
        return queued
    }

    func watched(_ repository: String, _ record: RegistryRecord) -> Bool {
        record.include.contains { Self.glob($0, repository) } && !record.exclude.contains { Self.glob($0, repository) }
    }

    /// `*` matches any run of characters (including `/`), `?` one character.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern), t = Array(text)
        var i = 0, j = 0, star = -1, mark = 0
        while j < t.count {
            if i < p.count, p[i] == "?" || p[i] == t[j] { i += 1; j += 1 } else if i < p.count, p[i] == "*" { star = i; mark = j; i += 1 } else if star >= 0 {
                i = star + 1; mark += 1; j = mark
            } else { return false }
        }
        while i < p.count, p[i] == "*" { i += 1 }
        return i == p.count
    }

    /// Pulls and scans one pushed image (layers cached by digest in the data directory), records the
    /// image and its repository, and evaluates the image.
    func scanImage(_ p: ImagePayload) async throws {
        guard let record = try registry(p.registry) else { throw ServiceError("registry \(p.registry) was removed") }
        let client = try client(record)
        let host = Self.host(record)
        let scratch = dataDirectory.appending(path: "scratch")
        try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
        let scanned: ImageInventory
        do {
            let reference = try RegistryReference(parsing: "\(host)/\(p.repository)@\(p.digest)")
            let resolved = try await client.resolve(reference, platform: Platform(os: "linux", architecture: "amd64"))
            scanned = try await ImageScanner.scan(resolved, options: .init(cache: LayerCache(directory: dataDirectory.appending(path: "layers")), scratch: scratch))
            await client.shutdown()
        } catch {
            await client.shutdown()
            throw error
        }
        let arn = "arn:aws:ecr:\(record.region):\(record.account):repository/\(p.repository)/\(p.digest)"
        // Tags accumulate over pushes of the same digest.
        var tags = Set(p.tag.map { [$0] } ?? []).union(p.tags ?? [])
        if let old = try? storedRecord(account: record.account, region: record.region, resourceID: arn) {
            tags.formUnion(old.resource.details?.awsEcrContainerImage?.imageTags ?? [])
        }
        let sortedTags = tags.sorted()
        let resource = Resource(type: "AWS_ECR_CONTAINER_IMAGE", id: arn, partition: "aws", region: record.region,
                                details: ResourceDetails(awsEcrContainerImage: AwsEcrContainerImageDetails(
                                    repositoryName: p.repository, imageTags: sortedTags.isEmpty ? nil : sortedTags, pushedAt: p.pushedAt,
                                    author: scanned.image.author, architecture: scanned.image.architecture, imageHash: p.digest,
                                    registry: record.name, platform: scanned.image.os)))
        let repositoryMetadata: JSONValue = .object(["name": .string(p.repository), "scanFrequency": .string("SCAN_ON_PUSH")])
        try submit(ResourceRecord(inventory: scanned.inventory, resource: resource, coverageType: "AWS_ECR_CONTAINER_IMAGE",
                                  metadata: Self.imageMetadata(repository: p.repository, tags: sortedTags, pulledAt: Date().timeIntervalSince1970.rounded())),
                   account: record.account, region: record.region)
        try evaluate(account: record.account, region: record.region, resourceID: arn)
        // The repository itself is covered too (no packages of its own).
        let repositoryID = "arn:aws:ecr:\(record.region):\(record.account):repository/\(p.repository)"
        let coverage: [String: JSONValue] = [
            "resourceType": .string("AWS_ECR_REPOSITORY"), "resourceId": .string(repositoryID), "accountId": .string(record.account),
            "scanType": .string("PACKAGE"), "scanStatus": .object(["statusCode": .string("ACTIVE"), "reason": .string("SUCCESSFUL")]),
            "resourceMetadata": .object(["ecrRepository": repositoryMetadata]), "lastScannedAt": .number(Date().timeIntervalSince1970.rounded()),
        ]
        try store.putResources([.init(accountID: record.account, region: record.region, resourceID: repositoryID, resourceType: "AWS_ECR_REPOSITORY",
                                      document: String(decoding: try Self.encoder.encode(coverage), as: UTF8.self))])
    }
}
