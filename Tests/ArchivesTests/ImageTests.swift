import Archives
import Foundation
import Inventory
import Testing
import TestSupport

/// The images made by Fixtures/make-images.sh (umoci and skopeo over this machine's real dpkg status
/// and two installed Python distributions), built once per test process.
enum ImageFixtures {
    static let directory: URL = {
        let dir = ScratchDirectory.forProcess("vigil-image-fixtures")
        let script = Repository.root.appending(path: "Tests/ArchivesTests/Fixtures/make-images.sh").path
        _ = try? Subprocess.lines(["bash", script, dir.path])
        return dir
    }()

    static var layout: String { directory.appending(path: "layout").path }

    /// `Package Version` of every dpkg package on this machine, as dpkg-query lists them.
    static let dpkgPackages: Set<String> = {
        let lines: [String] = (try? Subprocess.lines(["dpkg-query", "-W", "-f=${db:Status-Status} ${Package} ${Version}\\n"])) ?? []
        let installed: [String] = lines.filter { $0.hasPrefix("installed ") }
        return Set(installed.map { String($0.dropFirst(10)) })
    }()

    static func scan(_ reference: ImageReference, platform: Platform = Platform(os: "linux", architecture: "amd64"),
                     registry: RegistryClient? = nil, cache: LayerCache? = nil) async throws -> ImageInventory {
        let resolved = try await reference.resolve(platform: platform, registry: registry)
        return try await ImageScanner.scan(resolved, options: .init(cache: cache, scratch: FileManager.default.temporaryDirectory))
    }
}

/// A Distribution registry (Debian's docker-registry) on 127.0.0.1, anonymous, behind htpasswd
/// basic auth, or behind a bearer-token server; both processes are killed when it is released.
final class TestRegistry: @unchecked Sendable {
    let scratch: ScratchDirectory
    let port: Int
    var processes: [Process] = []
    static let user = "alice", password = "s3cret-pw"

    init(mode: String) throws {
        scratch = try ScratchDirectory()
        let oracles = Repository.root.appending(path: "Tests/ArchivesTests/Oracles")
        let ports = try Subprocess.lines(["python3", oracles.appending(path: "registry_setup.py").path, mode, scratch.url.path, Self.user, Self.password])
            .first?.split(separator: " ").compactMap { Int($0) } ?? []
        guard ports.count == 2 else { throw ImageError("registry setup failed") }
        port = ports[0]
        try start(["docker-registry", "serve", scratch.path("config.yml").path])
        if mode == "token" {
            try start(["python3", oracles.appending(path: "token_server.py").path, scratch.url.path, "\(ports[1])", Self.user, Self.password])
        }
        // Ready when /v2/ (and the token service) answer, with 200 or 401.
        let scheme = mode == "tls" ? "https" : "http"
        let urls = ["\(scheme)://127.0.0.1:\(port)/v2/"] + (mode == "token" ? ["http://127.0.0.1:\(ports[1])/token"] : [])
        for _ in 0..<100 {
            let codes = urls.map { (try? Subprocess.lines(["curl", "-k", "-s", "-o", "/dev/null", "-w", "%{http_code}", $0]).first) ?? "" }
            if codes.allSatisfy({ $0 == "200" || $0 == "401" }) { return }
            usleep(100_000)
        }
        stop()
        throw ImageError("docker-registry did not start on port \(port)")
    }

    func start(_ arguments: [String]) throws {
        processes.append(try Subprocess.background(URL(fileURLWithPath: "/usr/bin/env"), arguments))
    }

    /// Pushes a tag of the fixture layout with skopeo.
    func push(_ tag: String, as name: String, all: Bool = false, credentials: Bool) throws {
        var arguments = ["skopeo", "copy", "--quiet", "--dest-tls-verify=false"]
        if all { arguments.append("--all") }
        if credentials { arguments += ["--dest-creds", "\(Self.user):\(Self.password)"] }
        arguments += ["oci:\(ImageFixtures.layout):\(tag)", "docker://127.0.0.1:\(port)/\(name)"]
        _ = try Subprocess.lines(arguments)
    }

    func client(password: String? = TestRegistry.password, timeout: Int64 = 60) throws -> RegistryClient {
        var options = RegistryOptions()
        options.insecure = true
        options.dockerConfig = nil
        options.readTimeoutSeconds = timeout
        if let password {
            options.username = Self.user
            options.password = password
        }
        return try RegistryClient(options: options)
    }

    func stop() {
        for process in processes where process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
    }

    deinit { stop() }
}

@Suite(.serialized) struct ImageTests {
    /// The app image's three layers: dpkg packages of layer 1 stay attributed to it though layer 2
    /// rewrote the status file; layer 3's whiteout removes one Python distribution.
    func checkApp(_ result: ImageInventory, layerDigests: [String]? = nil) throws {
        let inventory = result.inventory
        #expect(inventory.problems.isEmpty, "\(inventory.problems)")
        #expect(inventory.operatingSystem?.ecosystem?.hasPrefix("Debian:") == true)
        let dpkg = inventory.packages.filter { $0.packageManager == .os }
        #expect(Set(dpkg.map { "\($0.name) \($0.version)" }) == ImageFixtures.dpkgPackages)
        let python = inventory.packages.filter { $0.ecosystem == "PyPI" }.map(\.name)
        #expect(python == ["packaging"])
        let layers = layerDigests ?? result.image.layers
        #expect(layers.count == 3)
        let byLayer = Dictionary(grouping: dpkg, by: { $0.layer ?? "none" }).mapValues(\.count)
        #expect(byLayer[layers[0]] == 40)
        #expect(byLayer[layers[1]] == ImageFixtures.dpkgPackages.count - 40)
        #expect(inventory.packages.first { $0.name == "packaging" }?.layer == layers[1])
    }

    @Test(.timeLimit(.minutes(2)))
    func ociLayoutOCIArchiveAndDockerArchive() async throws {
        let dir = ImageFixtures.directory
        let oci = try await ImageFixtures.scan(.ociLayout(path: ImageFixtures.layout, reference: "app"))
        try checkApp(oci)
        #expect(oci.image.tags == ["app"])
        #expect(oci.image.architecture == "amd64")
        #expect(oci.image.digest?.hasPrefix("sha256:") == true)
        let archive = try await ImageFixtures.scan(.ociArchive(path: dir.appending(path: "app-oci.tar").path, reference: nil))
        try checkApp(archive)
        #expect(archive.image.configDigest == oci.image.configDigest)
        let docker = try await ImageFixtures.scan(.dockerArchive(path: dir.appending(path: "app-docker.tar").path, reference: nil))
        try checkApp(docker)
        #expect(docker.image.tags == ["docker.io/vigil/app:1"])
    }

    @Test(.timeLimit(.minutes(2)))
    func layerResultsAreCached() async throws {
        let scratch = try ScratchDirectory()
        let cache = LayerCache(directory: scratch.path("layers"))
        let first = try await ImageFixtures.scan(.ociLayout(path: ImageFixtures.layout, reference: "app"), cache: cache)
        #expect(first.cachedLayers == 0)
        #expect(first.bytesRead > 0)
        let second = try await ImageFixtures.scan(.ociLayout(path: ImageFixtures.layout, reference: "app"), cache: cache)
        #expect(second.cachedLayers == 3)
        #expect(second.bytesRead == 0)
        #expect(second.inventory == first.inventory)
        // The amd64 image shares its only layer with app's first: read from the cache too.
        let amd = try await ImageFixtures.scan(.ociLayout(path: ImageFixtures.layout, reference: "amd"), cache: cache)
        #expect(amd.cachedLayers == 1)
    }

    @Test(.timeLimit(.minutes(2)))
    func platformsOfAnIndex() async throws {
        let amd = try await ImageFixtures.scan(.ociLayout(path: ImageFixtures.layout, reference: "multi"))
        #expect(amd.image.architecture == "amd64")
        #expect(amd.inventory.packages.count == 40)
        let arm = try await ImageFixtures.scan(.ociLayout(path: ImageFixtures.layout, reference: "multi"), platform: Platform(os: "linux", architecture: "arm64"))
        #expect(arm.image.architecture == "arm64")
        #expect(arm.inventory.packages.count == ImageFixtures.dpkgPackages.count + 2)
        await #expect {
            _ = try await ImageFixtures.scan(.ociLayout(path: ImageFixtures.layout, reference: "multi"), platform: Platform(os: "linux", architecture: "s390x"))
        } throws: { "\($0)".contains("no image for platform linux/s390x (the index offers linux/amd64, linux/arm64)") }
    }

    /// A layout whose blobs lie about their digests, and one whose manifest was edited.
    @Test(.timeLimit(.minutes(2)))
    func lyingDigestsAreErrorsNamingTheLayer() async throws {
        let scratch = try ScratchDirectory()
        let copy = scratch.path("layout")
        try FileManager.default.copyItem(at: URL(fileURLWithPath: ImageFixtures.layout), to: copy)
        let resolved = try await ImageReference.ociLayout(path: copy.path, reference: "app").resolve(platform: .host, registry: nil)
        let layer = resolved.layers[1].descriptor.digest
        let blob = copy.appending(path: "blobs/sha256/\(layer.dropFirst(7))")
        // Another valid gzip layer in its place: decompresses fine, digest differs.
        let other = copy.appending(path: "blobs/sha256/\(resolved.layers[0].descriptor.digest.dropFirst(7))")
        try FileManager.default.removeItem(at: blob)
        try FileManager.default.copyItem(at: other, to: blob)
        await #expect {
            _ = try await ImageFixtures.scan(.ociLayout(path: copy.path, reference: "app"))
        } throws: { "\($0)".contains("oci:\(copy.path):app layer 2 (\(layer)): corrupt archive: digest mismatch") }
        // The manifest blob edited in place: its digest no longer matches index.json.
        let manifest = copy.appending(path: "blobs/sha256/\(resolved.metadata.digest!.dropFirst(7))")
        var text = try String(contentsOf: manifest, encoding: .utf8)
        text = text.replacingOccurrences(of: "\"schemaVersion\":2", with: "\"schemaVersion\": 2")
        try text.write(to: manifest, atomically: true, encoding: .utf8)
        await #expect {
            _ = try await ImageFixtures.scan(.ociLayout(path: copy.path, reference: "app"))
        } throws: { "\($0)".contains("manifest: digest mismatch") }
    }

    @Test(.timeLimit(.minutes(3)))
    func registryAnonymous() async throws {
        let registry = try TestRegistry(mode: "anonymous")
        try registry.push("app", as: "team/app:1", credentials: false)
        try registry.push("multi", as: "team/multi:1", all: true, credentials: false)
        let client = try registry.client(password: nil)
        let app = try await ImageFixtures.scan(.registry(try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/app:1")), registry: client)
        try checkApp(app)
        #expect(app.image.registry == "127.0.0.1:\(registry.port)")
        #expect(app.image.repository == "team/app")
        let arm = try await ImageFixtures.scan(.registry(try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/multi:1")),
                                               platform: Platform(os: "linux", architecture: "arm64"), registry: client)
        #expect(arm.image.architecture == "arm64")
        // By digest, and a tag that does not exist.
        let byDigest = try await ImageFixtures.scan(.registry(try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/app@\(app.image.digest!)")), registry: client)
        #expect(byDigest.inventory.packages.count == app.inventory.packages.count)
        await #expect {
            _ = try await ImageFixtures.scan(.registry(try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/app:nope")), registry: client)
        } throws: { "\($0)".contains("GET /v2/team/app/manifests/nope answered 404") }
        await client.shutdown()
        registry.stop()
    }

    @Test(.timeLimit(.minutes(3)), arguments: ["basic", "token"])
    func registryWithCredentials(_ mode: String) async throws {
        let registry = try TestRegistry(mode: mode)
        try registry.push("app", as: "team/app:1", credentials: true)
        let reference = ImageReference.registry(try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/app:1"))
        let client = try registry.client()
        try checkApp(try await ImageFixtures.scan(reference, registry: client))
        await client.shutdown()
        for password in [nil, "wrong"] as [String?] {
            let bad = try registry.client(password: password)
            await #expect {
                _ = try await ImageFixtures.scan(reference, registry: bad)
            } throws: { error in
                let text = "\(error)"
                return mode == "basic" ? (password == nil ? text.contains("requires credentials") : text.contains("answered 401"))
                    : text.contains("token service http://127.0.0.1:") && text.contains("answered 401")
            }
            await bad.shutdown()
        }
        registry.stop()
    }

    /// A crafted layer: links climbing above the root stay inside the image, a link cycle is a named
    /// problem, devices and FIFOs are skipped and named, and the rest of the inventory comes out.
    @Test(.timeLimit(.minutes(2)))
    func hostileLinksAndDevices() async throws {
        let scratch = try ScratchDirectory()
        let script = Repository.root.appending(path: "Tests/ArchivesTests/Oracles/make_hostile_image.py").path
        _ = try Subprocess.lines(["python3", script, scratch.path("hostile").path])
        let result = try await ImageFixtures.scan(.ociLayout(path: scratch.path("hostile").path, reference: nil))
        #expect(result.inventory.operatingSystem?.ecosystem == "Alpine:v3.19")
        #expect(Set(result.inventory.packages.map { "\($0.name) \($0.version)" }) == ["musl 1.2.4-r2", "busybox 1.36.1-r15"])
        let problems = result.inventory.problems
        #expect(problems.contains { $0.contains("/var/lib/dpkg/status") && $0.contains("too many levels of symbolic links") }, "\(problems)")
        #expect(problems.contains { $0.contains("2 device file(s) or FIFO(s) skipped (/dev/sda, /run/fifo)") }, "\(problems)")

        _ = try Subprocess.lines(["python3", script, scratch.path("escape").path, "hardlink-escape"])
        await #expect {
            _ = try await ImageFixtures.scan(.ociLayout(path: scratch.path("escape").path, reference: nil))
        } throws: { "\($0)".contains("layer 1 (sha256:") && "\($0)".contains("entry '../../etc/shadow' climbs out of the root with '..'") }
    }

    /// HTTPS with a private CA: trusted with --ca-cert, refused without it.
    @Test(.timeLimit(.minutes(2)))
    func registryOverTLSWithACustomCA() async throws {
        let registry = try TestRegistry(mode: "tls")
        try registry.push("app", as: "team/app:1", credentials: false)
        let reference = ImageReference.registry(try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/app:1"))
        var options = RegistryOptions()
        options.dockerConfig = nil
        options.caCertificate = registry.scratch.path("ca.crt").path
        let trusting = try RegistryClient(options: options)
        try checkApp(try await ImageFixtures.scan(reference, registry: trusting))
        await trusting.shutdown()
        options.caCertificate = nil
        let strict = try RegistryClient(options: options)
        await #expect {
            _ = try await ImageFixtures.scan(reference, registry: strict)
        } throws: { "\($0)".contains("registry 127.0.0.1:\(registry.port): GET /v2/team/app/manifests/1 failed") }
        await strict.shutdown()
        registry.stop()
    }

    /// Credentials from a Docker config file's `auths`.
    @Test(.timeLimit(.minutes(2)))
    func dockerConfigCredentials() async throws {
        let registry = try TestRegistry(mode: "basic")
        try registry.push("app", as: "team/app:1", credentials: true)
        let config = registry.scratch.path("docker-config.json")
        let auth = Data("\(TestRegistry.user):\(TestRegistry.password)".utf8).base64EncodedString()
        try Data(#"{"auths": {"127.0.0.1:\#(registry.port)": {"auth": "\#(auth)"}}}"#.utf8).write(to: config)
        var options = RegistryOptions()
        options.insecure = true
        options.dockerConfig = config.path
        let client = try RegistryClient(options: options)
        try checkApp(try await ImageFixtures.scan(.registry(try RegistryReference(parsing: "127.0.0.1:\(registry.port)/team/app:1")), registry: client))
        await client.shutdown()
        registry.stop()
    }

    /// A registry that accepts the connection and never answers.
    @Test(.timeLimit(.minutes(2)))
    func aStalledRegistryTimesOut() async throws {
        let server = Process()
        server.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        server.arguments = ["python3", "-c", """
            import socket, time
            s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(5)
            print(s.getsockname()[1], flush=True)
            conns = []
            while True:
                c, _ = s.accept(); conns.append(c)
            """]
        let pipe = Pipe()
        server.standardOutput = pipe
        try server.run()
        defer { kill(server.processIdentifier, SIGKILL); server.waitUntilExit() }
        var line = Data()
        while true {
            let byte = pipe.fileHandleForReading.readData(ofLength: 1)
            if byte.isEmpty || byte == Data("\n".utf8) { break }
            line.append(byte)
        }
        let port = String(decoding: line, as: UTF8.self)
        var options = RegistryOptions()
        options.insecure = true
        options.dockerConfig = nil
        options.readTimeoutSeconds = 2
        let client = try RegistryClient(options: options)
        await #expect {
            _ = try await ImageFixtures.scan(.registry(try RegistryReference(parsing: "127.0.0.1:\(port)/team/app:1")), registry: client)
        } throws: { "\($0)".contains("registry 127.0.0.1:\(port): GET /v2/team/app/manifests/1 failed: the registry stopped sending (read timeout)") }
        await client.shutdown()
    }
}
