import Foundation
import Testing
import TestSupport

/// Scan on push: Debian's `docker-registry` on 127.0.0.1, configured to notify a running `vigil
/// serve`; an image built with umoci and pushed with skopeo turns into findings read with the AWS CLI.
@Suite(.serialized) struct RegistryScanningTests {
    static func freePort() throws -> Int {
        let line = try Subprocess.lines(["python3", "-c", "import socket; s = socket.socket(); s.bind(('127.0.0.1', 0)); print(s.getsockname()[1])"])
        return Int(line.first ?? "") ?? 0
    }

    @Test(.timeLimit(.minutes(6)))
    func pushToFindings() throws {
        let data = try ScratchDirectory()
        try ContinuousScanningTests.importAdvisories(data, ["Debian"])
        let server = try ServeProcess(data: data)
        _ = try ContinuousScanningTests.aws(server, ["enable", "--resource-types", "ECR"])
        let port = try Self.freePort()
        let added = try ContinuousScanningTests.vigil(server, ["registries", "add", "shop", "--url", "http://127.0.0.1:\(port)", "--insecure",
                                                              "--include", "shop/*", "--json"])
        let registration = try #require(try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: String])
        let token = try #require(registration["notificationToken"])
        #expect(registration["notificationUrl"] == "\(server.endpoint)/vigil/v1/registries/shop/events")

        // The registry, notifying Vigil (distribution's notifications configuration).
        let scratch = try ScratchDirectory()
        let config = """
            version: 0.1
            log:
              level: error
            storage:
              filesystem:
                rootdirectory: \(scratch.path("storage").path)
            http:
              addr: 127.0.0.1:\(port)
            notifications:
              endpoints:
                - name: vigil
                  url: \(registration["notificationUrl"] ?? "")
                  headers:
                    Authorization: [Bearer \(token)]
                  timeout: 5s
                  threshold: 5
                  backoff: 1s
            """
        try ScratchDirectory.write(config, to: "config.yml", in: scratch.url)
        let registry = try Subprocess.background(URL(fileURLWithPath: "/usr/bin/env"), ["docker-registry", "serve", scratch.path("config.yml").path])
        defer {
            kill(registry.processIdentifier, SIGKILL)
            registry.waitUntilExit()
        }
        _ = try ContinuousScanningTests.waitFor("the registry", seconds: 30, {
            (try? Subprocess.lines(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/v2/"]).first) ?? ""
        }, until: { $0 == "200" })

        // A two-layer Debian 11 image: (1) os-release and libssl1.1, (2) the status file with zlib1g added.
        // Real bullseye versions before DSA-5343 (openssl) and DSA-5218 (zlib).
        let (openssl, zlib) = (ContinuousScanningTests.openssl, ContinuousScanningTests.zlib)
        try ScratchDirectory.write("ID=debian\nVERSION_ID=\"11\"\n", to: "l1/etc/os-release", in: scratch.url)
        try ScratchDirectory.write(openssl, to: "l1/var/lib/dpkg/status", in: scratch.url)
        try ScratchDirectory.write(openssl + "\n" + zlib, to: "l2/var/lib/dpkg/status", in: scratch.url)
        let layout = scratch.path("layout").path
        for arguments in [["umoci", "init", "--layout", layout], ["umoci", "new", "--image", "\(layout):web"],
                          ["umoci", "insert", "--image", "\(layout):web", scratch.path("l1").path, "/"],
                          ["umoci", "insert", "--image", "\(layout):web", scratch.path("l2").path, "/"]] {
            _ = try Subprocess.lines(arguments)
        }
        let pushed = Date()
        for target in ["shop/web:1.0", "other/app:1.0"] {
            _ = try Subprocess.lines(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:\(layout):web", "docker://127.0.0.1:\(port)/\(target)"])
        }
        let criteria = #"{"resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}]}"#
        let findings = try ContinuousScanningTests.waitFor("findings for the pushed image", { try ContinuousScanningTests.findings(server, criteria) },
                                                           until: { ContinuousScanningTests.ids($0).isSuperset(of: ["CVE-2023-0286", "CVE-2022-37434"]) })
        print("push to findings: \(String(format: "%.2f", Date().timeIntervalSince(pushed))) s (two pushes, debug build, polled every 0.3 s)")
        let resource = try #require((findings.first?["resources"] as? [[String: Any]])?.first)
        let id = try #require(resource["id"] as? String)
        #expect(id.range(of: #"^arn:aws:ecr:us-east-1:111122223333:repository/shop/web/sha256:[0-9a-f]{64}$"#, options: .regularExpression) != nil, "\(id)")
        let image = (resource["details"] as? [String: Any])?["awsEcrContainerImage"] as? [String: Any]
        #expect(image?["repositoryName"] as? String == "shop/web" && image?["imageTags"] as? [String] == ["1.0"] && image?["registry"] as? String == "shop")
        let zlibFinding = try #require(findings.first { ContinuousScanningTests.ids([$0]) == ["CVE-2022-37434"] })
        let package = ((zlibFinding["packageVulnerabilityDetails"] as? [String: Any])?["vulnerablePackages"] as? [[String: Any]])?.first
        let layer = try #require(package?["sourceLayerHash"] as? String)
        #expect(layer.hasPrefix("sha256:"))
        let opensslFinding = try #require(findings.first { ContinuousScanningTests.ids([$0]) == ["CVE-2023-0286"] })
        let opensslLayer = ((opensslFinding["packageVulnerabilityDetails"] as? [String: Any])?["vulnerablePackages"] as? [[String: Any]])?.first?["sourceLayerHash"] as? String
        #expect(opensslLayer != nil && opensslLayer != layer, "libssl1.1 came with the first layer, zlib1g with the second")
        // Only the watched repository is covered; the repository itself too.
        let coverage = try ContinuousScanningTests.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]] ?? []
        let covered = Set(coverage.compactMap { $0["resourceId"] as? String })
        #expect(covered.contains("arn:aws:ecr:us-east-1:111122223333:repository/shop/web") && covered.contains(id))
        #expect(!covered.contains { $0.contains("other/app") }, "\(covered)")
        // A notification with the wrong token is refused.
        let refused = try Subprocess.lines(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "POST", "-H", "Authorization: Bearer wrong",
                                            "-d", #"{"events": []}"#, "\(server.endpoint)/vigil/v1/registries/shop/events"])
        #expect(refused == ["401"])
        server.stop()
    }

    /// A Distribution registry on a free port (deletes enabled, no notifications), stopped by the caller.
    static func startRegistry(_ scratch: ScratchDirectory, port: Int) throws -> Process {
        let config = """
            version: 0.1
            log:
              level: error
            storage:
              delete:
                enabled: true
              filesystem:
                rootdirectory: \(scratch.path("storage").path)
            http:
              addr: 127.0.0.1:\(port)
            """
        try ScratchDirectory.write(config, to: "config.yml", in: scratch.url)
        let registry = try Subprocess.background(URL(fileURLWithPath: "/usr/bin/env"), ["docker-registry", "serve", scratch.path("config.yml").path])
        _ = try ContinuousScanningTests.waitFor("the registry", seconds: 30, {
            (try? Subprocess.lines(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "http://127.0.0.1:\(port)/v2/"]).first) ?? ""
        }, until: { $0 == "200" })
        return registry
    }

    /// Images already in a registry when it is added are found by listing it; a tag moved to
    /// another image moves in coverage and findings; an image deleted from the registry leaves
    /// coverage on the next listing, its findings closed.
    @Test(.timeLimit(.minutes(6)))
    func listingFindsImagesAndDeletions() throws {
        let scratch = try ScratchDirectory()
        let port = try Self.freePort()
        let registry = try Self.startRegistry(scratch, port: port)
        defer {
            kill(registry.processIdentifier, SIGKILL)
            registry.waitUntilExit()
        }
        // Image A: openssl and zlib (real bullseye versions before DSA-5343 and DSA-5218); image B: openssl only.
        try ContinuousScanningTests.debianRoot(scratch.path("a"), [ContinuousScanningTests.openssl, ContinuousScanningTests.zlib])
        try ContinuousScanningTests.debianRoot(scratch.path("b"), [ContinuousScanningTests.openssl])
        let layout = scratch.path("layout").path
        _ = try Subprocess.lines(["umoci", "init", "--layout", layout])
        for image in ["a", "b"] {
            _ = try Subprocess.lines(["umoci", "new", "--image", "\(layout):\(image)"])
            _ = try Subprocess.lines(["umoci", "insert", "--image", "\(layout):\(image)", scratch.path(image).path, "/"])
        }
        func push(_ image: String, _ target: String) throws {
            _ = try Subprocess.lines(["skopeo", "copy", "--quiet", "--dest-tls-verify=false", "oci:\(layout):\(image)", "docker://127.0.0.1:\(port)/\(target)"])
        }
        for target in ["shop/web:1.0", "shop/web:2.0", "other/app:1.0"] { try push("a", target) }

        let data = try ScratchDirectory()
        try ContinuousScanningTests.importAdvisories(data, ["Debian"])
        let server = try ServeProcess(data: data, arguments: ["--registry-sync-interval", "2"])
        _ = try ContinuousScanningTests.aws(server, ["enable", "--resource-types", "ECR"])
        _ = try ContinuousScanningTests.vigil(server, ["registries", "add", "shop", "--url", "http://127.0.0.1:\(port)", "--insecure", "--include", "shop/*"])
        let criteria = #"{"resourceType": [{"comparison": "EQUALS", "value": "AWS_ECR_CONTAINER_IMAGE"}]}"#
        func images(_ findings: [[String: Any]]) -> [String: (tags: [String], ids: Set<String>, status: Set<String>)] {
            var out: [String: (tags: [String], ids: Set<String>, status: Set<String>)] = [:]
            for finding in findings {
                guard let resource = (finding["resources"] as? [[String: Any]])?.first, let id = resource["id"] as? String else { continue }
                let tags = ((resource["details"] as? [String: Any])?["awsEcrContainerImage"] as? [String: Any])?["imageTags"] as? [String] ?? []
                var entry = out[id] ?? (tags, [], [])
                entry.ids.formUnion(ContinuousScanningTests.ids([finding]))
                entry.status.insert(finding["status"] as? String ?? "")
                out[id] = entry
            }
            return out
        }
        // Found by the listing made when the registry was added: one image, both tags, nothing from other/app.
        let first = try ContinuousScanningTests.waitFor("the listed image's findings", { images(try ContinuousScanningTests.findings(server, criteria)) },
                                                        until: { $0.values.contains { $0.ids.isSuperset(of: ["CVE-2023-0286", "CVE-2022-37434"]) } })
        #expect(first.count == 1, "\(first.keys)")
        let imageA = try #require(first.keys.first)
        #expect(first[imageA]?.tags == ["1.0", "2.0"] && imageA.contains("repository/shop/web/sha256:"), "\(first)")

        // Tag 2.0 moves to image B: B is scanned (openssl only), A keeps 1.0.
        try push("b", "shop/web:2.0")
        let moved = try ContinuousScanningTests.waitFor("tag 2.0 moving to the new image", { images(try ContinuousScanningTests.findings(server, criteria)) },
                                                        until: { $0.count == 2 && $0[imageA]?.tags == ["1.0"] })
        let imageB = try #require(moved.keys.first { $0 != imageA })
        #expect(moved[imageB]?.tags == ["2.0"], "\(moved)")
        #expect(moved[imageB]?.ids.contains("CVE-2023-0286") == true && moved[imageB]?.ids.contains("CVE-2022-37434") == false, "\(moved)")

        // Image A deleted from the registry: it leaves coverage, its findings closed; B stays.
        let digest = String(imageA.split(separator: "/").last ?? "")
        let deleted = try Subprocess.lines(["curl", "-s", "-o", "/dev/null", "-w", "%{http_code}", "-X", "DELETE", "http://127.0.0.1:\(port)/v2/shop/web/manifests/\(digest)"])
        #expect(deleted == ["202"])
        let after = try ContinuousScanningTests.waitFor("the deleted image's findings closing", { images(try ContinuousScanningTests.findings(server, criteria)) },
                                                        until: { $0[imageA]?.status == ["CLOSED"] })
        #expect(after[imageB]?.status == ["ACTIVE"], "\(after)")
        let covered = Set((try ContinuousScanningTests.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]] ?? []).compactMap { $0["resourceId"] as? String })
        #expect(!covered.contains(imageA) && covered.contains(imageB), "\(covered)")
        #expect(!covered.contains { $0.contains("other/app") }, "\(covered)")
        server.stop()
    }
}
