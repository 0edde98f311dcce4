import Advisories
import Crypto
import Findings
import Foundation
import Inventory
import Storage
import VigilCore

/// Function packages (AWS_LAMBDA_FUNCTION) and hosts (AWS_EC2_INSTANCE) arriving through Vigil's
/// own API.
extension ScanService {
    // MARK: Functions

    public struct FunctionUpload: Codable, Sendable {
        public var name: String
        public var runtime: String
        public var handler: String?
        public var role: String?
        public var tags: [String: String]?
        /// The code zip and up to five layer zips, base64.
        public var code: String
        public var layers: [String]?

        public init(name: String, runtime: String, handler: String?, role: String?, tags: [String: String]?, code: String, layers: [String]?) {
            self.name = name
            self.runtime = runtime
            self.handler = handler
            self.role = role
            self.tags = tags
            self.code = code
            self.layers = layers
        }
    }

    struct FunctionPayload: Codable {
        var account: String
        var region: String
        var name: String
        var version: Int
        var runtime: String
        var role: String
        var tags: [String: String]
        var layers: Int
        var codeSha256: String
    }

    /// Lambda's runtime identifiers and Inspector's names for them, limited to the values of the
    /// model's `Runtime` enum (botocore's model has no PYTHON_3_12, NODEJS_20_X, JAVA_21, ...: those
    /// runtimes are accepted and scanned, and reported as UNSUPPORTED, the model's catch-all).
    static let runtimes: [String: String] = {
        var map: [String: String] = [
            "nodejs": "NODEJS", "nodejs12.x": "NODEJS_12_X", "nodejs14.x": "NODEJS_14_X", "nodejs16.x": "NODEJS_16_X", "nodejs18.x": "NODEJS_18_X",
            "nodejs24.x": "NODEJS_24_X", "python3.7": "PYTHON_3_7", "python3.8": "PYTHON_3_8", "python3.9": "PYTHON_3_9",
            "python3.10": "PYTHON_3_10", "python3.11": "PYTHON_3_11", "java8": "JAVA_8", "java8.al2": "JAVA_8_AL2", "java11": "JAVA_11",
            "java17": "JAVA_17", "go1.x": "GO_1_X", "ruby2.7": "RUBY_2_7", "ruby3.2": "RUBY_3_2", "dotnetcore3.1": "DOTNETCORE_3_1",
            "dotnet6": "DOTNET_6", "dotnet7": "DOTNET_7", "dotnet10": "DOTNET_10",
        ]
        for newer in ["nodejs20.x", "nodejs22.x", "python3.12", "python3.13", "python3.14", "java21", "ruby3.3", "ruby3.4", "dotnet8", "dotnet9",
                      "provided", "provided.al2", "provided.al2023"] {
            map[newer] = "UNSUPPORTED"
        }
        return map
    }()

    func functionDirectory(account: String, region: String, name: String, version: Int) -> URL {
        dataDirectory.appending(path: "functions/\(account)/\(region)/\(name)/\(version)")
    }

    /// Stores a new version of a function (its zips under the data directory, written aside then
    /// renamed into place) and queues its scan. Returns the version's ARN.
    public func publish(_ upload: FunctionUpload, account: String, region: String) throws -> (arn: String, version: Int) {
        guard upload.name.range(of: "^[a-zA-Z0-9-_]{1,64}$", options: .regularExpression) != nil else {
            throw ServiceError("function name '\(upload.name)' must be 1 to 64 letters, digits, hyphens or underscores")
        }
        guard Self.runtimes[upload.runtime] != nil else {
            throw ServiceError("runtime '\(upload.runtime)' is not a Lambda runtime (\(Self.runtimes.keys.sorted().joined(separator: ", ")))")
        }
        let layers = upload.layers ?? []
        guard layers.count <= 5 else { throw ServiceError("a function has at most 5 layers, not \(layers.count)") }
        guard let code = Data(base64Encoded: upload.code) else { throw ServiceError("code is not base64") }
        let layerData = try layers.enumerated().map { n, text in
            guard let data = Data(base64Encoded: text) else { throw ServiceError("layer \(n + 1) is not base64") }
            return data
        }
        let base = dataDirectory.appending(path: "functions/\(account)/\(region)/\(upload.name)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        let versions = (try? FileManager.default.contentsOfDirectory(atPath: base.path)) ?? []
        let version = (versions.compactMap(Int.init).max() ?? 0) + 1
        let staging = base.appending(path: ".staging-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: true)
        try code.write(to: staging.appending(path: "code.zip"))
        for (n, data) in layerData.enumerated() { try data.write(to: staging.appending(path: "layer-\(n + 1).zip")) }
        try FileManager.default.moveItem(at: staging, to: functionDirectory(account: account, region: region, name: upload.name, version: version))
        let payload = FunctionPayload(account: account, region: region, name: upload.name, version: version, runtime: upload.runtime,
                                      role: upload.role ?? "arn:aws:iam::\(account):role/\(upload.name)", tags: upload.tags ?? [:],
                                      layers: layerData.count, codeSha256: Data(SHA256.hash(data: code)).base64EncodedString())
        let arn = "arn:aws:lambda:\(region):\(account):function:\(upload.name):\(version)"
        try store.enqueue(kind: "scan-function", key: "scan-function:\(arn)", payload: String(decoding: try Self.encoder.encode(payload), as: UTF8.self))
        return (arn, version)
    }

    /// Reads a function version's code and layers, stores its record and evaluates it.
    func scanFunction(_ p: FunctionPayload) throws {
        let directory = functionDirectory(account: p.account, region: p.region, name: p.name, version: p.version)
        let arn = "arn:aws:lambda:\(p.region):\(p.account):function:\(p.name):\(p.version)"
        var inventory = Cataloging.inventory(of: try ZipFileSystem(url: directory.appending(path: "code.zip")))
        var layerARNs: [String] = []
        for n in 0..<p.layers {
            let layerARN = "arn:aws:lambda:\(p.region):\(p.account):layer:\(p.name)-layer-\(n + 1):\(p.version)"
            layerARNs.append(layerARN)
            let layer = Cataloging.inventory(of: try ZipFileSystem(url: directory.appending(path: "layer-\(n + 1).zip")))
            inventory.packages += layer.packages.map { var package = $0; package.layer = layerARN; return package }
            inventory.problems += layer.problems.map { "layer \(n + 1): \($0)" }
        }
        let runtime = Self.runtimes[p.runtime] ?? "UNSUPPORTED"
        let resource = Resource(type: "AWS_LAMBDA_FUNCTION", id: arn, partition: "aws", region: p.region, tags: p.tags.isEmpty ? nil : p.tags,
                                details: ResourceDetails(awsLambdaFunction: AwsLambdaFunctionDetails(
                                    functionName: p.name, runtime: runtime, codeSha256: p.codeSha256, version: String(p.version),
                                    executionRoleArn: p.role, layers: layerARNs.isEmpty ? nil : layerARNs,
                                    lastModifiedAt: Date().timeIntervalSince1970.rounded())))
        var function: [String: JSONValue] = ["functionName": .string(p.name), "runtime": .string(runtime)]
        if !p.tags.isEmpty { function["functionTags"] = .object(p.tags.mapValues { .string($0) }) }
        if !layerARNs.isEmpty { function["layers"] = .array(layerARNs.map { .string($0) }) }
        try submit(ResourceRecord(inventory: inventory, resource: resource, coverageType: "AWS_LAMBDA_FUNCTION",
                                  metadata: .object(["lambdaFunction": .object(function)])), account: p.account, region: p.region)
        try evaluate(account: p.account, region: p.region, resourceID: arn)
    }

    // MARK: Hosts

    public struct Enrollment: Codable, Sendable {
        public var instanceId: String
        public var accessKeyId: String
        public var secretAccessKey: String
        public var accountId: String
        public var region: String
    }

    /// Enrols a host with an activation: a new `i-` id and credentials that may only report that
    /// host's inventory.
    public func enroll(activationID: String, code: String) throws -> Enrollment? {
        guard let (account, region) = try store.redeemActivation(id: activationID, code: code) else { return nil }
        let instance = Self.newInstanceID()
        let (key, secret) = ServiceStore.newAccessKey()
        let policy = #"{"Version": "2012-10-17", "Statement": [{"Effect": "Allow", "Action": ["vigil:ReportInventory", "vigil:SendHeartbeat"], "Resource": "arn:aws:ec2:\#(region):\#(account):instance/\#(instance)"}]}"#
        try store.addPrincipal(.init(accessKeyID: key, accountID: account, secret: secret, policy: policy))
        return Enrollment(instanceId: instance, accessKeyId: key, secretAccessKey: secret, accountId: account, region: region)
    }

    /// What an agent sends: its host's inventory and metadata.
    public struct HostReport: Codable, Sendable {
        public var inventory: Inventory
        public var hostname: String?
        public var ipV4Addresses: [String]?
        public var ipV6Addresses: [String]?
        public var platform: String?
        public var tags: [String: String]?

        public init(inventory: Inventory, hostname: String?, ipV4Addresses: [String]?, ipV6Addresses: [String]?, platform: String?, tags: [String: String]?) {
            self.inventory = inventory
            self.hostname = hostname
            self.ipV4Addresses = ipV4Addresses
            self.ipV6Addresses = ipV6Addresses
            self.platform = platform
            self.tags = tags
        }
    }

    /// An agent's sign of life (a report counts as one too).
    public func heartbeat(instanceID: String, account: String, region: String) throws {
        try store.setSetting(account: account, region: region, name: "heartbeat:\(instanceID)", value: "\(Date().timeIntervalSince1970)")
    }

    /// Agent-managed hosts of an account whose last heartbeat is older than the server's
    /// `heartbeatTimeout`: coverage shows them INACTIVE / UNMANAGED_EC2_INSTANCE.
    public func silentHosts(account: String, region: String) throws -> Set<String> {
        let now = Date().timeIntervalSince1970
        var silent = Set<String>()
        for (name, beat) in try store.settings(account: account, region: region, prefix: "heartbeat:") {
            if let at = Double(beat.value), now - at > heartbeatTimeout { silent.insert(String(name.dropFirst("heartbeat:".count))) }
        }
        return silent
    }

    /// Stores a host's reported inventory and queues its evaluation.
    public func report(_ report: HostReport, instanceID: String, account: String, region: String) throws {
        try heartbeat(instanceID: instanceID, account: account, region: region)
        var tags = report.tags ?? [:]
        if let hostname = report.hostname, tags["Name"] == nil { tags["Name"] = hostname }
        let os = report.inventory.operatingSystem
        let platform = report.platform ?? os.map { "\($0.id.uppercased())_\($0.version ?? "")" }
        let resource = Resource(type: "AWS_EC2_INSTANCE", id: instanceID, partition: "aws", region: region, tags: tags.isEmpty ? nil : tags,
                                details: ResourceDetails(awsEc2Instance: AwsEc2InstanceDetails(
                                    type: "vigil-agent", ipV4Addresses: report.ipV4Addresses, ipV6Addresses: report.ipV6Addresses,
                                    platform: platform)))
        var ec2: [String: JSONValue] = ["platform": .string("LINUX")]
        if !tags.isEmpty { ec2["tags"] = .object(tags.mapValues { .string($0) }) }
        try submit(ResourceRecord(inventory: report.inventory, resource: resource, coverageType: "AWS_EC2_INSTANCE",
                                  metadata: .object(["ec2": .object(ec2)]), scanMode: "EC2_SSM_AGENT_BASED"), account: account, region: region)
    }
}

// MARK: Agentless hosts

extension ScanService {
    /// A root filesystem on the server's machine (a mounted snapshot or volume, a container's root)
    /// to scan on a schedule as an agentless AWS_EC2_INSTANCE.
    public struct HostRegistration: Codable, Sendable {
        public var root: String
        public var name: String?
        /// Seconds between scans (default six hours).
        public var interval: Double?
        public var deepInspectionPaths: [String]?
        public var tags: [String: String]?

        public init(root: String, name: String?, interval: Double?, deepInspectionPaths: [String]?, tags: [String: String]?) {
            self.root = root
            self.name = name
            self.interval = interval
            self.deepInspectionPaths = deepInspectionPaths
            self.tags = tags
        }
    }

    /// A registered root as stored (a global setting `agentless:ID`, so one query lists them all).
    struct AgentlessHost: Codable {
        var instanceId: String
        var account: String
        var region: String
        var registration: HostRegistration
        var lastScanAt: Double?
    }

    static func newInstanceID() -> String {
        var generator = SystemRandomNumberGenerator()
        return "i-" + String((0..<17).map { _ in "0123456789abcdef".randomElement(using: &generator)! })
    }

    /// Registers a root filesystem to be scanned now and every `interval` seconds; returns its
    /// instance id.
    public func registerHost(_ r: HostRegistration, account: String, region: String) throws -> String {
        var isDirectory: ObjCBool = false
        guard r.root.hasPrefix("/"), FileManager.default.fileExists(atPath: r.root, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ServiceError("root '\(r.root)' must be an absolute path to a directory on the server's machine")
        }
        guard (r.interval ?? 21_600) >= 1 else { throw ServiceError("interval must be at least 1 second") }
        for path in r.deepInspectionPaths ?? [] where !path.hasPrefix("/") {
            throw ServiceError("deep inspection path '\(path)' must be absolute (inside the root)")
        }
        let host = AgentlessHost(instanceId: Self.newInstanceID(), account: account, region: region, registration: r)
        try store.setSetting(account: "", region: "", name: "agentless:\(host.instanceId)", value: String(decoding: try Self.encoder.encode(host), as: UTF8.self))
        try enqueueHostScan(host.instanceId)
        return host.instanceId
    }

    func enqueueHostScan(_ instanceID: String) throws {
        try store.enqueue(kind: "scan-host", key: "scan-host:\(instanceID)", payload: instanceID)
    }

    func agentlessHosts() throws -> [AgentlessHost] {
        try store.settings(account: "", region: "", prefix: "agentless:").values.compactMap {
            try? JSONDecoder().decode(AgentlessHost.self, from: Data($0.value.utf8))
        }
    }

    /// Every second: registered roots whose interval has passed since their last scan are queued.
    func scheduleHostScans() async {
        while !Task.isCancelled {
            do {
                let now = Date().timeIntervalSince1970
                for host in try agentlessHosts() where (host.lastScanAt ?? 0) + (host.registration.interval ?? 21_600) <= now {
                    try enqueueHostScan(host.instanceId)
                }
            } catch {
                logger.error("host scans not queued", metadata: ["error": "\(error)"])
            }
            try? await Task.sleep(for: .seconds(1))
        }
    }

    /// Reads a registered root's packages (OS packages and language packages under the deep
    /// inspection paths, as the agent does) and evaluates them.
    func scanHost(_ instanceID: String) throws {
        let name = "agentless:\(instanceID)"
        guard let stored = try store.setting(account: "", region: "", name: name) else { return }
        var host = try JSONDecoder().decode(AgentlessHost.self, from: Data(stored.value.utf8))
        let r = host.registration
        // Scanned or not, the next attempt waits a full interval (a missing root is retried then).
        host.lastScanAt = Date().timeIntervalSince1970
        try store.setSetting(account: "", region: "", name: name, value: String(decoding: try Self.encoder.encode(host), as: UTF8.self))
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: r.root), scope: .host(extraPaths: r.deepInspectionPaths ?? []))
        var tags = r.tags ?? [:]
        if let hostname = r.name, tags["Name"] == nil { tags["Name"] = hostname }
        let os = inventory.operatingSystem
        let resource = Resource(type: "AWS_EC2_INSTANCE", id: instanceID, partition: "aws", region: host.region, tags: tags.isEmpty ? nil : tags,
                                details: ResourceDetails(awsEc2Instance: AwsEc2InstanceDetails(
                                    type: "vigil-agentless", platform: os.map { "\($0.id.uppercased())_\($0.version ?? "")" })))
        var ec2: [String: JSONValue] = ["platform": .string("LINUX")]
        if !tags.isEmpty { ec2["tags"] = .object(tags.mapValues { .string($0) }) }
        try submit(ResourceRecord(inventory: inventory, resource: resource, coverageType: "AWS_EC2_INSTANCE",
                                  metadata: .object(["ec2": .object(ec2)]), scanMode: "EC2_AGENTLESS"), account: host.account, region: host.region)
        try evaluate(account: host.account, region: host.region, resourceID: instanceID)
    }
}
