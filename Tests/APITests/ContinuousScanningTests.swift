import Foundation
import Service
import Storage
import Testing
import TestSupport

/// Continuous scanning end to end: function packages and agents reporting to a running `vigil
/// serve`, findings read back with the AWS CLI, advisory updates re-evaluating stored inventories,
/// and a server killed with -9 in the middle of its jobs.
@Suite(.serialized) struct ContinuousScanningTests {
    static let environment = ["AWS_ACCESS_KEY_ID": ServeProcess.key, "AWS_SECRET_ACCESS_KEY": ServeProcess.secret, "AWS_DEFAULT_REGION": "us-east-1",
                              "AWS_CONFIG_FILE": "/dev/null", "AWS_SHARED_CREDENTIALS_FILE": "/dev/null"]

    static func aws(_ server: ServeProcess, _ arguments: [String]) throws -> [String: Any] {
        let result = try Subprocess.run(URL(fileURLWithPath: "/usr/bin/env"), ["aws", "--endpoint-url", server.endpoint, "--output", "json", "inspector2"] + arguments,
                                        environment: environment)
        guard result.status == 0 else { throw Subprocess.Failure(description: "aws \(arguments): \(result.errors)") }
        return try #require(try JSONSerialization.jsonObject(with: Data(result.output.utf8)) as? [String: Any])
    }

    static func vigil(_ server: ServeProcess, _ arguments: [String]) throws -> Subprocess.Result {
        let result = try Subprocess.run(ServeProcess.vigil, arguments + ["--endpoint-url", server.endpoint], environment: environment)
        guard result.status == 0 else { throw Subprocess.Failure(description: "vigil \(arguments): \(result.errors)") }
        return result
    }

    /// dpkg status entries of real bullseye versions before DSA-5343 (openssl) and DSA-5218 (zlib).
    static let openssl = "Package: libssl1.1\nStatus: install ok installed\nArchitecture: amd64\nSource: openssl\nVersion: 1.1.1n-0+deb11u1\n"
    static let zlib = "Package: zlib1g\nStatus: install ok installed\nArchitecture: amd64\nSource: zlib\nVersion: 1:1.2.11.dfsg-2+deb11u1\n"

    /// A Debian 11 root (os-release and a dpkg status file with these entries).
    static func debianRoot(_ root: URL, _ entries: [String]) throws {
        try ScratchDirectory.write("ID=debian\nVERSION_ID=\"11\"\n", to: "etc/os-release", in: root)
        try ScratchDirectory.write(entries.joined(separator: "\n") + "\n", to: "var/lib/dpkg/status", in: root)
    }

    static func importAdvisories(_ data: ScratchDirectory, _ ecosystems: [String]) throws {
        let zips = ecosystems.map { Repository.sharedData.appending(path: "osv/\($0)/all.zip").path }
        let result = try Subprocess.run(ServeProcess.vigil, ["db", "import", "--data-dir", data.url.path] + zips)
        guard result.status == 0 else { throw Subprocess.Failure(description: "db import: \(result.errors)") }
    }

    static func findings(_ server: ServeProcess, _ criteria: String? = nil) throws -> [[String: Any]] {
        try aws(server, ["list-findings"] + (criteria.map { ["--filter-criteria", $0] } ?? []))["findings"] as? [[String: Any]] ?? []
    }

    /// Polls until `condition` holds (at most `seconds`), returning the last value.
    static func waitFor<T>(_ what: String, seconds: Double = 90, _ probe: () throws -> T, until condition: (T) -> Bool) throws -> T {
        let deadline = Date().addingTimeInterval(seconds)
        var value = try probe()
        while !condition(value) {
            guard Date() < deadline else { throw Subprocess.Failure(description: "timed out waiting for \(what): \(value)") }
            Thread.sleep(forTimeInterval: 0.3)
            value = try probe()
        }
        return value
    }

    static func ids(_ findings: [[String: Any]]) -> Set<String> {
        Set(findings.compactMap { ($0["packageVulnerabilityDetails"] as? [String: Any])?["vulnerabilityId"] as? String })
    }

    /// Python packages installed from real wheels into `python/` (Lambda's layout), zipped.
    static func functionZip(_ scratch: ScratchDirectory, _ name: String, _ requirements: [String]) throws -> String {
        let root = scratch.path(name)
        _ = try Subprocess.lines(["python3", "-m", "pip", "install", "--quiet", "--no-deps", "--no-compile", "--disable-pip-version-check",
                                  "--only-binary=:all:", "--target", root.appending(path: "python").path] + requirements)
        let zip = scratch.path("\(name).zip").path
        _ = try Subprocess.lines(["python3", "-c", "import shutil, sys; shutil.make_archive(sys.argv[1][:-4], 'zip', sys.argv[2])", zip, root.path])
        return zip
    }

    /// A function from real wheels (code and a layer) is scanned on upload; an advisory import while
    /// serving brings its findings without reading the zips again; disabling Lambda scanning closes them.
    @Test(.timeLimit(.minutes(6)))
    func functionsAndAdvisoryUpdates() throws {
        let data = try ScratchDirectory()
        try Self.importAdvisories(data, ["crates.io"])  // some data, none of it about these packages
        let server = try ServeProcess(data: data)
        _ = try Self.aws(server, ["enable", "--resource-types", "LAMBDA"])
        let scratch = try ScratchDirectory()
        let code = try Self.functionZip(scratch, "code", ["requests==2.19.1", "urllib3==1.24.1"])
        let layer = try Self.functionZip(scratch, "layer", ["Jinja2==2.10"])
        let published = try Self.vigil(server, ["functions", "publish", "thumbnailer", "--zip", code, "--layer", layer, "--runtime", "python3.9",
                                                "--tag", "team=media", "--json"])
        let arn = try #require((try JSONSerialization.jsonObject(with: Data(published.output.utf8)) as? [String: String])?["functionArn"])
        #expect(arn.hasSuffix(":function:thumbnailer:1"))
        let covered = try Self.waitFor("the function's first scan", { try Self.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]] ?? [] },
                                       until: { ($0.first?["scanStatus"] as? [String: String])?["reason"] == "SUCCESSFUL" })
        #expect(covered.count == 1 && covered.first?["resourceId"] as? String == arn)
        #expect(try Self.findings(server).isEmpty, "no PyPI advisories yet")

        // PyPI's advisories arrive: the stored inventory is matched again, the zips are not read again.
        try Self.importAdvisories(data, ["crates.io", "PyPI"])
        let found = try Self.waitFor("findings after the advisory import", { try Self.findings(server) }, until: { Self.ids($0).contains("CVE-2019-10906") })
        // requests 2.19.1: CVE-2018-18074 (fixed 2.20.0), CVE-2023-32681 (2.31.0); Jinja2 2.10: CVE-2019-10906 (2.10.1).
        #expect(Self.ids(found).isSuperset(of: ["CVE-2018-18074", "CVE-2023-32681", "CVE-2019-10906"]), "\(Self.ids(found))")
        #expect(found.allSatisfy { $0["status"] as? String == "ACTIVE" && ($0["resources"] as? [[String: Any]])?.first?["id"] as? String == arn })
        let jinja = try #require(found.first { Self.ids([$0]) == ["CVE-2019-10906"] })
        let package = ((jinja["packageVulnerabilityDetails"] as? [String: Any])?["vulnerablePackages"] as? [[String: Any]])?.first
        #expect((package?["sourceLambdaLayerArn"] as? String)?.hasSuffix(":layer:thumbnailer-layer-1:1") == true, "\(String(describing: package))")
        #expect(package?["fixedInVersion"] as? String == "2.10.1")
        let store = try ServiceStore(dataDirectory: data.url)
        #expect(try store.completions(key: "scan-function:\(arn)") == 1)

        // Lambda scanning off: every finding closes and coverage goes inactive.
        _ = try Self.aws(server, ["disable", "--resource-types", "LAMBDA"])
        let closed = try Self.waitFor("closed findings", { try Self.findings(server) }, until: { $0.allSatisfy { $0["status"] as? String == "CLOSED" } })
        #expect(closed.count == found.count)
        let inactive = try Self.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]]
        #expect((inactive?.first?["scanStatus"] as? [String: String])?["statusCode"] == "INACTIVE")
        server.stop()
    }

    /// `vigil agent` enrols with an activation and reports; a package removed on the host closes its
    /// findings, the others keep their ARN and first observation.
    @Test(.timeLimit(.minutes(6)))
    func agentReportsAndFindingsClose() throws {
        let data = try ScratchDirectory()
        try Self.importAdvisories(data, ["Debian"])
        let server = try ServeProcess(data: data, arguments: ["--heartbeat-timeout", "4"])
        _ = try Self.aws(server, ["enable", "--resource-types", "EC2"])
        let activation = try Self.vigil(server, ["activations", "create", "--json"])
        let codes = try #require(try JSONSerialization.jsonObject(with: Data(activation.output.utf8)) as? [String: String])
        let scratch = try ScratchDirectory()
        let root = scratch.path("root")
        try Self.debianRoot(root, [Self.openssl, Self.zlib])
        let (openssl, zlib) = (Self.openssl, Self.zlib)
        let state = scratch.path("agent").path
        func agent() throws {
            let result = try Subprocess.run(ServeProcess.vigil, ["agent", "--server", server.endpoint, "--activation-id", codes["activationId"] ?? "",
                                                                 "--activation-code", codes["activationCode"] ?? "", "--state-dir", state, "--root", root.path, "--once"])
            #expect(result.status == 0, "\(result.errors)")
        }
        try agent()
        let identity = try #require(FileManager.default.attributesOfItem(atPath: state + "/identity.json")[.posixPermissions] as? NSNumber)
        #expect(identity.intValue == 0o600)
        let first = try Self.waitFor("the host's findings", { try Self.findings(server) }, until: { Self.ids($0).contains("CVE-2022-37434") })
        #expect(Self.ids(first).isSuperset(of: ["CVE-2023-0286", "CVE-2022-37434"]), "\(Self.ids(first))")
        let coverage = try Self.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]] ?? []
        #expect(coverage.count == 1 && coverage.first?["resourceType"] as? String == "AWS_EC2_INSTANCE")
        #expect((coverage.first?["resourceId"] as? String)?.range(of: "^i-[0-9a-f]{17}$", options: .regularExpression) != nil)

        // zlib1g removed: its findings close; openssl's stay, same ARN, same first observation,
        // observed again (a second later: times are in whole seconds) but not updated.
        Thread.sleep(forTimeInterval: 1.1)
        try ScratchDirectory.write(openssl + "\n", to: "var/lib/dpkg/status", in: root)
        try agent()
        let second = try Self.waitFor("zlib's findings closing", { try Self.findings(server) }, until: { findings in
            findings.filter { ($0["title"] as? String)?.contains("zlib1g") == true }.allSatisfy { $0["status"] as? String == "CLOSED" }
        })
        let before = Dictionary(first.map { ($0["findingArn"] as? String ?? "", $0) }, uniquingKeysWith: { a, _ in a })
        for finding in second where (finding["title"] as? String)?.contains("libssl1.1") == true {
            #expect(finding["status"] as? String == "ACTIVE")
            let arn = finding["findingArn"] as? String ?? ""
            #expect((before[arn]?["firstObservedAt"] as? Double) == (finding["firstObservedAt"] as? Double), "\(arn)")
            #expect((before[arn]?["updatedAt"] as? Double) == (finding["updatedAt"] as? Double), "\(arn)")
            #expect((finding["lastObservedAt"] as? Double ?? 0) > (before[arn]?["lastObservedAt"] as? Double ?? .infinity), "\(arn)")
        }
        for finding in second where (finding["title"] as? String)?.contains("zlib1g") == true {
            let arn = finding["findingArn"] as? String ?? ""
            #expect((before[arn]?["lastObservedAt"] as? Double) == (finding["lastObservedAt"] as? Double), "closed: last observed by the first report")
        }
        #expect(second.count == first.count, "closed findings are kept, not deleted")
        // Silent for longer than --heartbeat-timeout: unmanaged. A running agent's heartbeats bring it back.
        func status() throws -> String {
            let resource = (try Self.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]])?.first
            let scan = resource?["scanStatus"] as? [String: String]
            return "\(scan?["statusCode"] ?? "-")/\(scan?["reason"] ?? "-")"
        }
        _ = try Self.waitFor("the host to go unmanaged", seconds: 30, status, until: { $0 == "INACTIVE/UNMANAGED_EC2_INSTANCE" })
        let running = try Subprocess.background(ServeProcess.vigil, ["agent", "--server", server.endpoint, "--state-dir", state, "--root", root.path,
                                                                     "--heartbeat", "1"])
        defer {
            kill(running.processIdentifier, SIGKILL)
            running.waitUntilExit()
        }
        _ = try Self.waitFor("heartbeats to bring the host back", seconds: 30, status, until: { $0 == "ACTIVE/SUCCESSFUL" })
        // A wrong code enrols nothing.
        let refused = try Subprocess.run(ServeProcess.vigil, ["agent", "--server", server.endpoint, "--activation-id", codes["activationId"] ?? "",
                                                              "--activation-code", "wrong", "--state-dir", scratch.path("other").path, "--once"])
        #expect(refused.status != 0 && refused.errors.contains("activation"), "\(refused.errors)")
        server.stop()
    }

    /// An agentless host: a root filesystem registered with `vigil hosts add` is scanned at once and
    /// then every --interval seconds; a package removed from it closes its findings on the next scan.
    @Test(.timeLimit(.minutes(6)))
    func agentlessHostOnASchedule() throws {
        let data = try ScratchDirectory()
        try Self.importAdvisories(data, ["Debian"])
        let server = try ServeProcess(data: data)
        _ = try Self.aws(server, ["enable", "--resource-types", "EC2"])
        let scratch = try ScratchDirectory()
        let root = scratch.path("root")
        try Self.debianRoot(root, [Self.openssl, Self.zlib])
        let (openssl, zlib) = (Self.openssl, Self.zlib)
        let added = try Self.vigil(server, ["hosts", "add", "--root", root.path, "--name", "web-1", "--interval", "2", "--tag", "env=prod", "--json"])
        let instance = try #require((try JSONSerialization.jsonObject(with: Data(added.output.utf8)) as? [String: String])?["instanceId"])
        #expect(instance.range(of: "^i-[0-9a-f]{17}$", options: .regularExpression) != nil, "\(instance)")
        let first = try Self.waitFor("the host's findings", { try Self.findings(server) }, until: { Self.ids($0).isSuperset(of: ["CVE-2023-0286", "CVE-2022-37434"]) })
        let resource = (first.first?["resources"] as? [[String: Any]])?.first
        #expect(resource?["id"] as? String == instance && (resource?["tags"] as? [String: String]) == ["Name": "web-1", "env": "prod"], "\(String(describing: resource))")
        let coverage = (try Self.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]])?.first
        #expect(coverage?["scanMode"] as? String == "EC2_AGENTLESS" && coverage?["resourceId"] as? String == instance)
        // zlib1g removed from the root: the next scheduled scan closes its findings.
        try ScratchDirectory.write(openssl + "\n", to: "var/lib/dpkg/status", in: root)
        let second = try Self.waitFor("zlib's findings closing", seconds: 30, { try Self.findings(server) }, until: { findings in
            findings.filter { Self.ids([$0]) == ["CVE-2022-37434"] }.allSatisfy { $0["status"] as? String == "CLOSED" }
        })
        #expect(second.contains { Self.ids([$0]) == ["CVE-2023-0286"] && $0["status"] as? String == "ACTIVE" })
        // A root that is not an absolute directory is refused, by name.
        let refused = try Subprocess.run(ServeProcess.vigil, ["hosts", "add", "--root", "relative/root", "--endpoint-url", server.endpoint],
                                         environment: Self.environment)
        #expect(refused.status != 0 && refused.errors.contains("relative/root"), "\(refused.errors)")
        server.stop()
    }

    /// `vigil agent --once` over this machine: an EC2-type resource whose stored inventory holds
    /// this machine's dpkg packages, as dpkg-query lists them. Without advisory data it waits in
    /// PENDING_INITIAL_SCAN.
    @Test(.timeLimit(.minutes(6)))
    func agentOnThisMachine() throws {
        let server = try ServeProcess()
        _ = try Self.aws(server, ["enable", "--resource-types", "EC2"])
        let activation = try Self.vigil(server, ["activations", "create", "--json"])
        let codes = try #require(try JSONSerialization.jsonObject(with: Data(activation.output.utf8)) as? [String: String])
        let state = try ScratchDirectory()
        let result = try Subprocess.run(ServeProcess.vigil, ["agent", "--server", server.endpoint, "--activation-id", codes["activationId"] ?? "",
                                                             "--activation-code", codes["activationCode"] ?? "", "--state-dir", state.url.path, "--once"])
        #expect(result.status == 0, "\(result.errors)")
        let covered = try Self.waitFor("the host's coverage", { try Self.aws(server, ["list-coverage"])["coveredResources"] as? [[String: Any]] ?? [] },
                                       until: { !$0.isEmpty })
        #expect((covered.first?["scanStatus"] as? [String: String])?["reason"] == "PENDING_INITIAL_SCAN")
        let instance = try #require(covered.first?["resourceId"] as? String)
        let store = try ServiceStore(dataDirectory: server.data.url)
        let document = try #require(try store.inventory(account: ServeProcess.account, region: "us-east-1", resourceID: instance))
        let record = try JSONDecoder().decode(ResourceRecord.self, from: Data(document.utf8))
        let dpkg = Set(try Subprocess.lines(["dpkg-query", "-W", "-f=${db:Status-Status} ${Package} ${Version}\\n"])
            .filter { $0.hasPrefix("installed ") }.map { String($0.dropFirst(10)) })
        let reported = Set(record.inventory.packages.filter { $0.purl.hasPrefix("pkg:deb/") }.map { "\($0.name) \($0.version)" })
        #expect(!dpkg.isEmpty && reported == dpkg, "\(dpkg.symmetricDifference(reported).sorted().prefix(10))")
        server.stop()
    }

    /// First start without advisory data: the background update loads it from a local mirror and the
    /// function uploaded meanwhile gets its findings; with an unreachable mirror the server keeps
    /// serving, keeps the inventory and says how to load data by hand.
    @Test(.timeLimit(.minutes(6)))
    func backgroundUpdateOnFirstStart() throws {
        let scratch = try ScratchDirectory()
        let code = try Self.functionZip(scratch, "code", ["requests==2.19.1"])
        // Unreachable feeds (nothing listens on port 1 of 127.0.0.1).
        let offline = try ServeProcess(arguments: ["--db-update-interval", "6", "--osv-base", "http://127.0.0.1:1", "--kev", "http://127.0.0.1:1/kev.json",
                                                   "--epss", "http://127.0.0.1:1/epss.csv.gz"])
        _ = try Self.aws(offline, ["enable", "--resource-types", "LAMBDA"])
        _ = try Self.vigil(offline, ["functions", "publish", "fn", "--zip", code, "--runtime", "python3.9"])
        let pending = try Self.waitFor("the function kept pending", { try Self.aws(offline, ["list-coverage"])["coveredResources"] as? [[String: Any]] ?? [] },
                                       until: { ($0.first?["scanStatus"] as? [String: String])?["reason"] == "PENDING_INITIAL_SCAN" })
        #expect(pending.count == 1)
        let status = try Self.waitFor("the failed update to be reported", {
            try Subprocess.run(ServeProcess.vigil, ["db", "status", "--data-dir", offline.data.url.path]).output
        }, until: { $0.contains("server update: failed") })
        #expect(status.contains("vigil db import"), "\(status)")
        offline.stop()

        let mirror = scratch.path("mirror")
        try LocalHTTPServer.makeAdvisoryMirror(in: mirror, ecosystems: ["PyPI"])
        // PYSEC-2023-74 (requests, CVE-2023-32681, fixed in 2.31.0) held back from the mirror, to be
        // published there later.
        let held = scratch.path("PYSEC-2023-74.json")
        _ = try Subprocess.lines(["python3", "-c", """
            import os, sys, zipfile
            folder, held = sys.argv[1], sys.argv[2]
            os.rename(os.path.join(folder, "PYSEC-2023-74.json"), held)
            source = zipfile.ZipFile(os.path.join(folder, "all.zip"))
            with zipfile.ZipFile(os.path.join(folder, "all.new.zip"), "w", zipfile.ZIP_DEFLATED) as out:
                for name in source.namelist():
                    if name != "PYSEC-2023-74.json":
                        out.writestr(name, source.read(name))
            os.replace(os.path.join(folder, "all.new.zip"), os.path.join(folder, "all.zip"))
            lines = open(os.path.join(folder, "modified_id.csv")).read().splitlines()
            open(os.path.join(folder, "modified_id.csv"), "w").write("\\n".join(l for l in lines if not l.endswith(",PYSEC-2023-74")) + "\\n")
            """, mirror.appending(path: "PyPI").path, held.path])
        let feeds = try LocalHTTPServer(serving: mirror)
        defer { feeds.stop() }
        let base = feeds.baseURL.absoluteString
        let server = try ServeProcess(arguments: ["--db-update-interval", "6", "--osv-base", base, "--kev", base + "/kev.json", "--epss", base + "/epss.csv.gz"])
        _ = try Self.aws(server, ["enable", "--resource-types", "LAMBDA"])
        _ = try Self.vigil(server, ["functions", "publish", "fn", "--zip", code, "--runtime", "python3.9"])
        let found = try Self.waitFor("findings once the update lands", { try Self.findings(server) }, until: { Self.ids($0).contains("CVE-2018-18074") })
        #expect(!Self.ids(found).contains("CVE-2023-32681"))
        let done = try Subprocess.run(ServeProcess.vigil, ["db", "status", "--data-dir", server.data.url.path]).output
        #expect(done.contains("server update: done") && done.contains("osv:PyPI"), "\(done)")

        // An update asked of the running server runs at once (its schedule is 6 hours away).
        let store = try ServiceStore(dataDirectory: server.data.url)
        let before = try #require(try store.setting(account: "", region: "", name: "advisories.updatedAt")?.value)
        let requested = try Self.vigil(server, ["db", "request-update"])
        #expect(requested.output.contains("advisory update started"), "\(requested.output)")
        _ = try Self.waitFor("the requested update", { try store.setting(account: "", region: "", name: "advisories.updatedAt")?.value }, until: { $0 != before })

        // The held-back advisory appears on the mirror (newest in modified_id.csv); `vigil db update`
        // beside the running server brings its finding without the function being read again.
        let record = mirror.appending(path: "PyPI/PYSEC-2023-74.json")
        try FileManager.default.moveItem(at: held, to: record)
        let index = mirror.appending(path: "PyPI/modified_id.csv")
        // Stamped now: later than every record the mirror already served (the cursor of an update).
        let stamp = ISO8601DateFormatter().string(from: Date())
        try ("\(stamp),PYSEC-2023-74\n" + String(contentsOf: index, encoding: .utf8)).write(to: index, atomically: true, encoding: .utf8)
        let update = try Subprocess.run(ServeProcess.vigil, ["db", "update", "--data-dir", server.data.url.path, "--osv-base", base, "--ecosystem", "PyPI",
                                                             "--kev", base + "/kev.json", "--epss", base + "/epss.csv.gz"])
        #expect(update.status == 0, "\(update.errors)")
        let updated = try Self.waitFor("the new advisory's finding", { try Self.findings(server) }, until: { Self.ids($0).contains("CVE-2023-32681") })
        #expect(Self.ids(updated).isSuperset(of: Self.ids(found)))
        #expect(try store.completions(key: "scan-function:arn:aws:lambda:us-east-1:\(ServeProcess.account):function:fn:1") == 1)
        server.stop()
    }

    /// kill -9 with jobs queued and running; after a restart every job completes exactly once and
    /// no finding is duplicated or lost.
    @Test(.timeLimit(.minutes(6)))
    func crashAndRestart() throws {
        let data = try ScratchDirectory()
        try Self.importAdvisories(data, ["PyPI"])
        var server = try ServeProcess(data: data, arguments: ["--workers", "1", "--job-lease", "2"])
        _ = try Self.aws(server, ["enable", "--resource-types", "LAMBDA"])
        let scratch = try ScratchDirectory()
        let code = try Self.functionZip(scratch, "code", ["requests==2.19.1", "urllib3==1.24.1"])
        // Six uploads at once; the server is killed the moment the store shows a job not yet done.
        let names = (1...6).map { "fn\($0)" }
        let store = try ServiceStore(dataDirectory: data.url)
        let published = Published()
        let running = server
        let uploads = Thread {
            // Spawned at once, so without pipes: a pipe of one would leak into another started at the
            // same moment and hold its reader open.
            DispatchQueue.concurrentPerform(iterations: names.count) { n in
                guard let process = try? Subprocess.background(ServeProcess.vigil, ["functions", "publish", names[n], "--zip", code, "--runtime", "python3.9",
                                                                                   "--endpoint-url", running.endpoint], environment: Self.environment) else { return }
                process.waitUntilExit()
                if process.terminationStatus == 0 { published.add(names[n]) }
            }
            published.finish()
        }
        uploads.start()
        let atCrash = try Self.waitFor("a job in flight", seconds: 60, { try store.jobCounts() }, until: { ($0["queued"] ?? 0) + ($0["leased"] ?? 0) > 0 })
        server.stop()  // SIGKILL
        while !published.done { Thread.sleep(forTimeInterval: 0.05) }
        #expect((atCrash["queued"] ?? 0) + (atCrash["leased"] ?? 0) > 0)
        server = try ServeProcess(data: data, arguments: ["--workers", "2", "--job-lease", "2"])
        _ = try Self.waitFor("every job to finish", { try store.jobCounts() }, until: { ($0["queued"] ?? 0) + ($0["leased"] ?? 0) == 0 })
        #expect(try store.jobCounts()["failed"] == nil)
        // Every function whose upload was answered is scanned exactly once; one cut off mid-upload at most once.
        let answered = published.names
        #expect(!answered.isEmpty)
        var scanned = 0
        for name in names {
            let completions = try store.completions(key: "scan-function:arn:aws:lambda:us-east-1:\(ServeProcess.account):function:\(name):1")
            #expect(completions <= 1, "\(name)")
            if answered.contains(name) { #expect(completions == 1, "\(name)") }
            scanned += completions
        }
        let findings = try Self.findings(server)
        let arns = findings.compactMap { $0["findingArn"] as? String }
        let perFunction = Dictionary(grouping: findings) { (($0["resources"] as? [[String: Any]])?.first?["id"] as? String) ?? "" }
        #expect(perFunction.count == scanned && Set(perFunction.values.map(\.count)).count == 1 && (perFunction.values.first?.count ?? 0) > 3,
                "\(perFunction.mapValues(\.count))")
        #expect(Set(arns).count == arns.count)
        server.stop()
    }
}

/// Names whose upload was answered, written from several threads.
final class Published: @unchecked Sendable {
    private var list: Set<String> = []
    private var finished = false
    private let lock = NSLock()

    func add(_ name: String) { lock.withLock { _ = list.insert(name) } }
    func finish() { lock.withLock { finished = true } }
    var done: Bool { lock.withLock { finished } }
    var names: Set<String> { lock.withLock { list } }
}
