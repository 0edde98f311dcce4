import API
import ArgumentParser
import AsyncHTTPClient
import Foundation
import Inventory
import NIOCore
import Service

/// Where a client command sends its requests and with which credentials: the standard AWS
/// credential environment (`AWS_ACCESS_KEY_ID`, `AWS_SECRET_ACCESS_KEY`) or a profile of
/// `~/.aws/credentials` (`--profile` / `AWS_PROFILE`), the region from `--region`, `AWS_REGION`,
/// `AWS_DEFAULT_REGION` or the profile's config, and the server from `--endpoint-url`.
struct ClientOptions: ParsableArguments {
    @Option(name: .customLong("endpoint-url"), help: "The Vigil server (environment VIGIL_ENDPOINT_URL, default http://127.0.0.1:8080).")
    var endpointURL: String?
    @Option(help: "The region (default: AWS_REGION, AWS_DEFAULT_REGION, the profile's region, us-east-1).") var region: String?
    @Option(help: "A profile of ~/.aws/credentials and ~/.aws/config (default: AWS_PROFILE, default).") var profile: String?

    var endpoint: String { endpointURL ?? ProcessInfo.processInfo.environment["VIGIL_ENDPOINT_URL"] ?? "http://127.0.0.1:8080" }

    /// `[section]` → key → value of an AWS INI file.
    static func ini(_ path: String) -> [String: [String: String]] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return [:] }
        var out: [String: [String: String]] = [:]
        var section = ""
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.hasPrefix("[") && line.hasSuffix("]") {
                section = String(line.dropFirst().dropLast()).trimmingCharacters(in: .whitespaces)
                if section.hasPrefix("profile ") { section = String(section.dropFirst(8)) }
            } else if let equals = line.firstIndex(of: "="), !line.hasPrefix("#"), !line.hasPrefix(";") {
                out[section, default: [:]][line[..<equals].trimmingCharacters(in: .whitespaces)] = line[line.index(after: equals)...].trimmingCharacters(in: .whitespaces)
            }
        }
        return out
    }

    func credentials() throws -> (key: String, secret: String, region: String) {
        let environment = ProcessInfo.processInfo.environment
        let name = profile ?? environment["AWS_PROFILE"] ?? "default"
        let home = environment["HOME"] ?? NSHomeDirectory()
        let files = Self.ini(environment["AWS_SHARED_CREDENTIALS_FILE"] ?? "\(home)/.aws/credentials")[name] ?? [:]
        let config = Self.ini(environment["AWS_CONFIG_FILE"] ?? "\(home)/.aws/config")[name] ?? [:]
        let fromEnvironment = profile == nil
        guard let key = (fromEnvironment ? environment["AWS_ACCESS_KEY_ID"] : nil) ?? files["aws_access_key_id"],
              let secret = (fromEnvironment ? environment["AWS_SECRET_ACCESS_KEY"] : nil) ?? files["aws_secret_access_key"] else {
            throw ValidationError("no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, or give a --profile from ~/.aws/credentials")
        }
        let region = self.region ?? environment["AWS_REGION"] ?? environment["AWS_DEFAULT_REGION"] ?? config["region"] ?? "us-east-1"
        return (key, secret, region)
    }
}

/// A server's refusal (printed without the usage text a ValidationError brings).
struct ClientError: Error, CustomStringConvertible {
    let description: String
}

/// Signed requests to Vigil's own API.
enum VigilClient {
    /// A 10-second connect timeout: AsyncHTTPClient retries a refused connection until then (its
    /// shared client waits 90 seconds for a server that is down).
    static let client = HTTPClient(eventLoopGroupProvider: .singleton,
                                   configuration: .init(timeout: .init(connect: .seconds(10), read: .seconds(300))))

    /// Sends one request (SigV4 for the `vigil` service when credentials are given) and returns the
    /// JSON answer, or throws the server's error message.
    static func send(_ method: String, _ path: String, body: Data, endpoint: String,
                     credentials: (key: String, secret: String, region: String)?) async throws -> Data {
        guard let url = URL(string: endpoint + path), let host = url.host else { throw ValidationError("'\(endpoint)' is not a URL") }
        var request = HTTPClientRequest(url: url.absoluteString)
        request.method = .init(rawValue: method)
        let authority = url.port.map { "\(host):\($0)" } ?? host
        request.headers.add(name: "Host", value: authority)
        request.headers.add(name: "Content-Type", value: "application/json")
        if let credentials {
            for (name, value) in SigV4Signer.headers(method: method, path: url.path, host: authority, body: body, accessKeyID: credentials.key,
                                                     secret: credentials.secret, region: credentials.region, service: "vigil") {
                request.headers.add(name: name, value: value)
            }
        }
        request.body = .bytes(ByteBuffer(bytes: body))
        let response = try await client.execute(request, timeout: .seconds(300))
        let data = Data((try await response.body.collect(upTo: 64 << 20)).readableBytesView)
        guard response.status.code < 300 else {
            let message = ((try? JSONSerialization.jsonObject(with: data)) as? [String: Any])?["message"] as? String ?? String(decoding: data.prefix(500), as: UTF8.self)
            throw ClientError(description: "\(endpoint)\(path): \(response.status.code) \(message)")
        }
        return data
    }
}

/// `vigil functions publish`: upload a function version to be scanned (AWS_LAMBDA_FUNCTION).
struct FunctionsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "functions", abstract: "Publish function packages to a Vigil server.",
                                                    subcommands: [Publish.self])

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Upload a function version (code zip and up to 5 layer zips); it is scanned at once.")
        @Argument(help: "The function name.") var name: String
        @Option(help: "The code zip.") var zip: String
        @Option(name: .customLong("layer"), help: "A layer zip (repeatable, at most 5).") var layers: [String] = []
        @Option(help: "The Lambda runtime, e.g. python3.12, nodejs20.x, java21.") var runtime: String
        @Option(help: "The handler.") var handler: String?
        @Option(help: "The execution role ARN.") var role: String?
        @Option(name: .customLong("tag"), help: "A tag KEY=VALUE (repeatable).") var tags: [String] = []
        @Flag(help: "Print {\"functionArn\": …, \"version\": …}.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            func read(_ path: String) throws -> String {
                guard let data = FileManager.default.contents(atPath: path) else { throw ValidationError("\(path): cannot be read") }
                return data.base64EncodedString()
            }
            let tagMap = try parseTags(tags)
            guard layers.count <= 5 else { throw ValidationError("at most 5 --layer zips") }
            let upload = ScanService.FunctionUpload(name: name, runtime: runtime, handler: handler, role: role, tags: tagMap,
                                                    code: try read(zip), layers: try layers.map(read))
            let answer = try await VigilClient.send("POST", "/vigil/v1/functions", body: try JSONEncoder().encode(upload),
                                                    endpoint: client.endpoint, credentials: try client.credentials())
            if json {
                StandardStreams.output(answer + Data("\n".utf8))
            } else {
                let object = (try? JSONSerialization.jsonObject(with: answer)) as? [String: String] ?? [:]
                StandardStreams.output(Data("published \(object["functionArn"] ?? name)\n".utf8))
            }
        }
    }
}

/// `vigil activations create`: an activation id and code that enrol hosts (like SSM hybrid activations).
struct ActivationsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "activations", abstract: "Create host activations on a Vigil server.",
                                                    subcommands: [Create.self])

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an activation for `vigil agent`.")
        @Option(help: "How many hosts it may enrol.") var registrationLimit = 1000
        @Option(help: "Days it stays valid.") var expirationDays = 30
        @Flag(help: "Print {\"activationId\": …, \"activationCode\": …}.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let body = try JSONSerialization.data(withJSONObject: ["registrationLimit": registrationLimit, "expirationDays": expirationDays])
            let answer = try await VigilClient.send("POST", "/vigil/v1/activations", body: body, endpoint: client.endpoint, credentials: try client.credentials())
            if json {
                StandardStreams.output(answer + Data("\n".utf8))
            } else {
                let object = (try? JSONSerialization.jsonObject(with: answer)) as? [String: String] ?? [:]
                StandardStreams.output(Data("activation id: \(object["activationId"] ?? "")\nactivation code: \(object["activationCode"] ?? "")\n".utf8))
            }
        }
    }
}

/// `vigil registries add`: watch an OCI registry; it notifies Vigil of pushes.
struct RegistriesCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "registries", abstract: "Add OCI registries to a Vigil server.",
                                                    subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a registry; configure its notifications with the printed URL and token.",
            discussion: """
            In the Distribution registry's config.yml: notifications: endpoints: - name: vigil, url: NOTIFICATION_URL, \
            headers: {Authorization: [Bearer TOKEN]}. Each pushed image of a watched repository is pulled and scanned.
            """
        )
        @Argument(help: "A name for the registry.") var name: String
        @Option(help: "The registry's base URL, e.g. https://registry.example:5000.") var url: String
        @Flag(help: "Plain HTTP or unverified TLS.") var insecure = false
        @Option(help: "User name for basic or token authentication.") var username: String?
        @Flag(name: .customLong("password-stdin"), help: "Read the password from standard input.") var passwordStdin = false
        @Option(name: .customLong("include"), help: "Repositories to watch (glob, repeatable; default *).") var include: [String] = []
        @Option(name: .customLong("exclude"), help: "Repositories not to watch (glob, repeatable).") var exclude: [String] = []
        @Flag(help: "Print {\"name\": …, \"notificationUrl\": …, \"notificationToken\": …}.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let password = passwordStdin ? readLine(strippingNewline: true) : nil
            let registration = ScanService.RegistryRegistration(name: name, url: url, insecure: insecure, username: username, password: password,
                                                                include: include.isEmpty ? nil : include, exclude: exclude)
            let answer = try await VigilClient.send("POST", "/vigil/v1/registries", body: try JSONEncoder().encode(registration),
                                                    endpoint: client.endpoint, credentials: try client.credentials())
            let object = (try? JSONSerialization.jsonObject(with: answer)) as? [String: String] ?? [:]
            let notificationURL = client.endpoint + (object["notificationPath"] ?? "")
            let token = object["notificationToken"] ?? ""
            if json {
                let out = ["name": name, "notificationUrl": notificationURL, "notificationToken": token]
                StandardStreams.output(try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                StandardStreams.output(Data("registry \(name)\nnotification URL: \(notificationURL)\nnotification token: \(token)\n".utf8))
            }
        }
    }
}

struct HostsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "hosts", abstract: "Register hosts a Vigil server scans without an agent.",
                                                    subcommands: [Add.self])

    struct Add: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Register a root filesystem on the server's machine (a mounted snapshot or volume, a container's root) to scan on a schedule.",
            discussion: """
            The host is covered as an AWS_EC2_INSTANCE with scanMode EC2_AGENTLESS: its OS packages and the language \
            packages under the deep-inspection paths are read now and every --interval seconds, and its findings open \
            and close like an agent's. Prints the instance id.
            """
        )
        @Option(help: "The root directory, as the server sees it.") var root: String
        @Option(help: "The host's name (its Name tag).") var name: String?
        @Option(help: "Seconds between scans.") var interval = 21_600.0
        @Option(name: .customLong("deep-inspection-path"), help: "A directory inside the root to look for language packages in (repeatable).")
        var deepInspectionPaths: [String] = []
        @Option(name: .customLong("tag"), help: "A tag KEY=VALUE (repeatable).") var tags: [String] = []
        @Flag(help: "Print {\"instanceId\": …}.") var json = false
        @OptionGroup var client: ClientOptions

        func run() async throws {
            let tagMap = try parseTags(tags)
            let registration = ScanService.HostRegistration(root: root, name: name, interval: interval,
                                                            deepInspectionPaths: deepInspectionPaths.isEmpty ? nil : deepInspectionPaths,
                                                            tags: tagMap.isEmpty ? nil : tagMap)
            let answer = try await VigilClient.send("POST", "/vigil/v1/hosts", body: try JSONEncoder().encode(registration),
                                                    endpoint: client.endpoint, credentials: try client.credentials())
            let instance = ((try? JSONSerialization.jsonObject(with: answer)) as? [String: String])?["instanceId"] ?? ""
            if json {
                StandardStreams.output(try JSONSerialization.data(withJSONObject: ["instanceId": instance], options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                StandardStreams.output(Data("\(instance)\n".utf8))
            }
        }
    }
}

/// `--tag KEY=VALUE` options as a map.
func parseTags(_ tags: [String]) throws -> [String: String] {
    var map: [String: String] = [:]
    for tag in tags {
        guard let equals = tag.firstIndex(of: "="), equals != tag.startIndex else { throw ValidationError("--tag \(tag): expected KEY=VALUE") }
        map[String(tag[..<equals])] = String(tag[tag.index(after: equals)...])
    }
    return map
}
