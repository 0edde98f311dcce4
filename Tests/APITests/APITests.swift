import API
import Foundation
import Testing
import TestSupport

/// `vigil serve` started on 127.0.0.1 (a free port) with a bootstrap key, killed when released.
final class ServeProcess: @unchecked Sendable {
    let process = Process()
    let port: Int
    let data: ScratchDirectory
    static let key = "AKIAVIGILTESTADMIN01", secret = "vigil-test-secret-0123456789abcdef", account = "111122223333"

    static var vigil: URL {
        let testBinary = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var directory = testBinary.deletingLastPathComponent()
        while !FileManager.default.fileExists(atPath: directory.appending(path: "vigil").path), directory.path != "/" {
            directory = directory.deletingLastPathComponent()
        }
        return directory.appending(path: "vigil")
    }

    /// - Parameters:
    ///   - regions: regions to register `Population`'s resources and findings in first.
    ///   - data: an existing data directory (a restart), else a fresh one.
    ///   - arguments: more `vigil serve` options.
    init(seeding regions: [String] = [], data: ScratchDirectory? = nil, arguments: [String] = []) throws {
        self.data = try data ?? ScratchDirectory()
        if !regions.isEmpty { try Population.seed(self.data.url, regions: regions) }
        process.executableURL = Self.vigil
        // Tests never reach the public feeds: background updates only when a test asks (with a local mirror).
        let updates = arguments.contains("--db-update-interval") ? [] : ["--db-update-interval", "0"]
        process.arguments = ["serve", "--port", "0", "--data-dir", self.data.url.path] + updates + arguments
        var environment = ProcessInfo.processInfo.environment
        environment["VIGIL_BOOTSTRAP_ACCESS_KEY_ID"] = Self.key
        environment["VIGIL_BOOTSTRAP_SECRET_ACCESS_KEY"] = Self.secret
        environment["VIGIL_BOOTSTRAP_ACCOUNT_ID"] = Self.account
        process.environment = environment
        let errors = Pipe()
        process.standardError = errors
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        var text = ""
        var found: Int?
        let deadline = Date().addingTimeInterval(30)
        while found == nil, Date() < deadline {
            let byte = errors.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty { break }
            text += String(decoding: byte, as: UTF8.self)
            if let range = text.range(of: "serving inspector2 on http://127.0.0.1:"), let end = text[range.upperBound...].firstIndex(of: " ") {
                found = Int(text[range.upperBound..<end])
            }
        }
        guard let found else {
            kill(process.processIdentifier, SIGKILL)
            throw Subprocess.Failure(description: "vigil serve did not start: \(text)")
        }
        port = found
        // Keep draining the log so the server never blocks on a full pipe.
        errors.fileHandleForReading.readabilityHandler = { handle in _ = handle.availableData }
    }

    var endpoint: String { "http://127.0.0.1:\(port)" }

    /// `vigil keys create --json` against the same data directory.
    func createKey(account: String, policy: String) throws -> (String, String) {
        let result = try Subprocess.run(Self.vigil, ["keys", "create", "--data-dir", data.url.path, "--account", account, "--policy", policy, "--json"])
        let object = try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: String] ?? [:]
        return (object["accessKeyId"] ?? "", object["secretAccessKey"] ?? "")
    }

    func stop() {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

@Suite(.serialized) struct APITests {
    @Test(.timeLimit(.minutes(3)))
    func healthAndMetrics() throws {
        let server = try ServeProcess()
        #expect(try Subprocess.lines(["curl", "-s", server.endpoint + "/healthz"]) == ["ok"])
        let metrics = try Subprocess.lines(["curl", "-s", server.endpoint + "/metrics"])
        #expect(metrics.first?.hasPrefix("# HELP vigil_requests_total") == true)
        server.stop()
    }

    /// The AWS CLI, unchanged, with --endpoint-url: the seed workflow.
    @Test(.timeLimit(.minutes(3)))
    func awsCLISeedWorkflow() throws {
        let server = try ServeProcess(seeding: ["us-east-1"])
        let environment = ["AWS_ACCESS_KEY_ID": ServeProcess.key, "AWS_SECRET_ACCESS_KEY": ServeProcess.secret, "AWS_DEFAULT_REGION": "us-east-1",
                           "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"]
        func aws(_ arguments: [String]) throws -> [String: Any] {
            let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["aws", "--endpoint-url", server.endpoint, "--output", "json", "inspector2"] + arguments,
                                            environment: environment)
            guard result.status == 0 else { throw Subprocess.Failure(description: "aws \(arguments): \(result.errors)") }
            return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
        }
        let enabled = try aws(["enable", "--resource-types", "EC2", "ECR"])
        let status = (enabled["accounts"] as? [[String: Any]])?.first?["resourceStatus"] as? [String: String]
        #expect(status?["ec2"] == "ENABLED" && status?["ecr"] == "ENABLED" && status?["lambda"] == "DISABLED", "\(enabled)")
        let configuration = try aws(["get-configuration"])
        #expect(((configuration["ecrConfiguration"] as? [String: Any])?["rescanDurationState"] as? [String: Any])?["rescanDuration"] as? String == "LIFETIME")
        // Coverage: the six resources of the account, none of the other account's; the CLI follows nextToken itself.
        let coverage = try aws(["list-coverage", "--page-size", "2"])
        let covered = try #require(coverage["coveredResources"] as? [[String: Any]])
        #expect(covered.count == 6 && covered.allSatisfy { $0["accountId"] as? String == ServeProcess.account }, "\(coverage)")
        let images = try aws(["list-coverage", "--filter-criteria", #"{"resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}]}"#])
        #expect((images["coveredResources"] as? [[String: Any]])?.count == 2)
        let permissions = try aws(["list-account-permissions"])
        #expect((permissions["permissions"] as? [[String: String]])?.contains { $0["service"] == "ECR" && $0["operation"] == "ENABLE_REPOSITORY" } == true)
        let all = try aws(["list-findings"])
        let findings = try #require(all["findings"] as? [[String: Any]])
        #expect(findings.count == 5)
        #expect(findings.first?["severity"] as? String == "CRITICAL", "most severe first")
        let critical = try aws(["list-findings", "--filter-criteria",
                                #"{"severity": [{"comparison": "EQUALS", "value": "CRITICAL"}], "findingStatus": [{"comparison": "EQUALS", "value": "ACTIVE"}]}"#])
        let criticalFindings = try #require(critical["findings"] as? [[String: Any]])
        #expect(criticalFindings.count == 1 && criticalFindings.first?["title"] as? String == "CVE-2022-37434 - zlib1g", "\(critical)")
        let disabled = try aws(["disable", "--resource-types", "EC2"])
        #expect(((disabled["accounts"] as? [[String: Any]])?.first?["resourceStatus"] as? [String: String])?["ec2"] == "DISABLED")
        server.stop()
    }

    /// boto3 and botocore's signer: the enable/disable workflow, every operation of the model
    /// routed, and every authentication and authorisation failure refused as AWS refuses it.
    @Test(.timeLimit(.minutes(3)))
    func boto3Checks() throws {
        let server = try ServeProcess(seeding: ["eu-west-1"])
        let (readOnlyKey, readOnlySecret) = try server.createKey(account: ServeProcess.account, policy: "read-only")
        let (otherKey, otherSecret) = try server.createKey(account: "444455556666", policy: "full")
        let script = Repository.root.appending(path: "Tests/APITests/Oracles/drive_api.py").path
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), [
            "python3", script, server.endpoint, ServeProcess.key, ServeProcess.secret, ServeProcess.account,
            readOnlyKey, readOnlySecret, otherKey, otherSecret, "444455556666",
        ])
        #expect(result.status == 0, "\(result.output)\(result.errors)")
        let passed = result.output.split(separator: "\n").filter { $0.hasPrefix("ok ") }
        #expect(passed.count == 59, "\(result.output)")
        #expect(!result.output.contains("FAIL"), "\(result.output)")
        server.stop()
    }
}

/// `vigil accounts` and `vigil keys` beside a running server.
@Suite(.serialized) struct AccountCommandTests {
    @Test(.timeLimit(.minutes(3)))
    func accountsAndKeys() throws {
        let server = try ServeProcess()
        let dataDirectory = server.data.url.path
        func vigil(_ arguments: [String]) throws -> Subprocess.Result { try Subprocess.run(ServeProcess.vigil, arguments + ["--data-dir", dataDirectory]) }
        let created = try vigil(["accounts", "create", "--json"])
        let account = try #require(try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: String])
        let id = try #require(account["accountId"])
        #expect(id.count == 12 && id.allSatisfy(\.isNumber) && id != ServeProcess.account)
        func aws(_ key: String, _ secret: String, _ arguments: [String]) throws -> Subprocess.Result {
            try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["aws", "--endpoint-url", server.endpoint, "--region", "us-east-1", "inspector2"] + arguments,
                               environment: ["AWS_ACCESS_KEY_ID": key, "AWS_SECRET_ACCESS_KEY": secret, "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
        }
        let status = try aws(account["accessKeyId"] ?? "", account["secretAccessKey"] ?? "", ["batch-get-account-status"])
        #expect(status.status == 0 && status.output.contains("\"accountId\": \"\(id)\""), "\(status.errors)")
        let listed = try vigil(["accounts", "list", "--json"])
        let accounts = try #require(try JSONSerialization.jsonObject(with: Data(listed.output.utf8)) as? [[String: Any]])
        #expect(Set(accounts.compactMap { $0["accountId"] as? String }) == [ServeProcess.account, id])
        #expect(try vigil(["accounts", "create", "--account", id]).status != 0, "an existing account is not created twice")
        // A second key for the account, listed without its secret, deleted before first use: refused at once.
        let second = try vigil(["keys", "create", "--account", id, "--policy", "read-only", "--json"])
        let key = try #require(try JSONSerialization.jsonObject(with: Data(second.output.utf8)) as? [String: String])
        let keys = try vigil(["keys", "list", "--account", id])
        #expect(keys.output.contains(key["accessKeyId"] ?? "-") && keys.output.contains("read-only") && !keys.output.contains(key["secretAccessKey"] ?? "-"))
        #expect(try vigil(["keys", "delete", key["accessKeyId"] ?? ""]).status == 0)
        let refused = try aws(key["accessKeyId"] ?? "", key["secretAccessKey"] ?? "", ["batch-get-account-status"])
        #expect(refused.errors.contains("UnrecognizedClientException"), "\(refused.errors)")
        #expect(try vigil(["keys", "delete", key["accessKeyId"] ?? ""]).status != 0)
        server.stop()
    }
}

/// The hand-written X-Amz-Date conversions agree with Foundation's formatter on many instants.
struct AmzDateTests {
    @Test func roundTripsAgainstDateFormatter() throws {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyyMMdd'T'HHmmss'Z'"
        var state: UInt64 = 0x9E37_79B9_7F4A_7C15
        for _ in 0..<2000 {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            let instant = Date(timeIntervalSince1970: TimeInterval(state % 6_000_000_000) - 1_000_000_000)
            let text = formatter.string(from: instant)
            #expect(SigV4TestHooks.format(instant) == text)
            #expect(SigV4TestHooks.parse(text) == formatter.date(from: text))
        }
    }
}

/// IAM-style policy evaluation: wildcards, resources, explicit Deny winning, malformed documents.
struct PolicyTests {
    @Test func evaluation() throws {
        let document = #"""
            {"Version": "2012-10-17", "Statement": [
              {"Effect": "Allow", "Action": "inspector2:*", "Resource": "arn:aws:inspector2:eu-west-1:*"},
              {"Effect": "Deny", "Action": ["inspector2:Enable", "inspector2:Disable"], "Resource": "*"},
              {"Effect": "Allow", "Action": "Inspector-Scan:scan?bom"}]}
            """#
        let policy = try Policy.parse(Data(document.utf8))
        let here = "arn:aws:inspector2:eu-west-1:111122223333:account"
        #expect(policy.allows(action: "inspector2:ListFindings", resource: here))
        #expect(policy.allows(action: "inspector2:BatchGetAccountStatus", resource: here))
        #expect(!policy.allows(action: "inspector2:BatchGetAccountStatus", resource: "arn:aws:inspector2:us-east-1:111122223333:account"))
        #expect(!policy.allows(action: "inspector2:Enable", resource: here))  // explicit Deny wins
        #expect(policy.allows(action: "inspector-scan:ScanSbom", resource: "anything"))  // actions ignore case
        #expect(!policy.allows(action: "s3:GetObject", resource: here))  // nothing allows it
        #expect(Policy.readOnly.allows(action: "inspector2:ListCoverage", resource: here))
        #expect(!Policy.readOnly.allows(action: "inspector2:CreateFilter", resource: here))
        for bad in ["[]", #"{"Statement": []}"#, #"{"Statement": [{"Effect": "Maybe", "Action": "*"}]}"#, #"{"Statement": [{"Effect": "Allow", "Action": 3}]}"#] {
            #expect(throws: Policy.PolicyError.self) { _ = try Policy.parse(Data(bad.utf8)) }
        }
    }

    /// A key created with a policy file, through the AWS CLI.
    @Test(.timeLimit(.minutes(3)))
    func policyFileThroughTheCLI() throws {
        let server = try ServeProcess()
        let policy = server.data.path("policy.json")
        try Data(#"{"Statement": [{"Effect": "Allow", "Action": "inspector2:*", "Resource": "arn:aws:inspector2:eu-west-1:*"}, {"Effect": "Deny", "Action": "inspector2:Enable"}]}"#.utf8).write(to: policy)
        let created = try Subprocess.run(ServeProcess.vigil, ["keys", "create", "--data-dir", server.data.url.path, "--account", ServeProcess.account,
                                                               "--policy-file", policy.path, "--json"])
        let keys = try #require(try JSONSerialization.jsonObject(with: Data(created.output.utf8)) as? [String: String])
        func aws(_ region: String, _ arguments: [String]) throws -> Subprocess.Result {
            try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["aws", "--endpoint-url", server.endpoint, "--region", region, "inspector2"] + arguments,
                               environment: ["AWS_ACCESS_KEY_ID": keys["accessKeyId"] ?? "", "AWS_SECRET_ACCESS_KEY": keys["secretAccessKey"] ?? "",
                                             "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"])
        }
        #expect(try aws("eu-west-1", ["batch-get-account-status"]).status == 0)
        let otherRegion = try aws("us-east-1", ["batch-get-account-status"])
        #expect(otherRegion.errors.contains("AccessDeniedException"), "\(otherRegion.errors)")
        let enable = try aws("eu-west-1", ["enable", "--resource-types", "EC2"])
        #expect(enable.errors.contains("AccessDeniedException") && enable.errors.contains("inspector2:Enable"), "\(enable.errors)")
        let bad = server.data.path("bad.json")
        try Data(#"{"Statement": [{"Effect": "Perhaps"}]}"#.utf8).write(to: bad)
        let refused = try Subprocess.run(ServeProcess.vigil, ["keys", "create", "--data-dir", server.data.url.path, "--account", ServeProcess.account, "--policy-file", bad.path])
        #expect(refused.status != 0)
        #expect(refused.errors.contains("statement 1: Effect must be Allow or Deny"), "\(refused.errors)")
        server.stop()
    }
}
