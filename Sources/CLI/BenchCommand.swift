import API
import AdvisoryStore
import AsyncHTTPClient
import Archives
import ArgumentParser
import Findings
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import GRDB
import Inventory
import Logging
import Matching
import NIOCore
import Service
import Storage
import Versions
import VigilCore

/// `vigil bench`: benchmarks that print figures, each against a baseline measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks and print figures (ratios against a baseline from the same run).",
        subcommands: [Versions.self, Database.self, InventoryBench.self, ImageBench.self, MatchBench.self, APIBench.self, ReevaluateBench.self, Populate.self, FindingsBench.self]
    )

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "versions",
            abstract: "Version comparisons per second for each ecosystem, on real version pairs.",
            discussion: """
            CORPUS is a directory of '<Ecosystem>.txt' files, one real version per line, as written by \
            Scripts/version-corpus.py from OSV data. The baseline is plain byte-wise String comparison of \
            the same pairs; 'parse+compare' parses both sides every time (what 'versions compare --batch' \
            does), 'compare' orders already-parsed versions (what range evaluation does).
            """
        )

        @Option(help: "Directory of <Ecosystem>.txt version lists.")
        var corpus: String

        @Option(help: "Pairs per ecosystem.")
        var pairs = 200_000

        func run() throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".txt") }.sorted()
            if files.isEmpty { throw ValidationError("no <Ecosystem>.txt files in \(corpus)") }
            print("ecosystem        versions  baseline/s   parse+compare/s  ratio   compare/s        ratio")
            for file in files {
                let name = String(file.dropLast(4))
                let scheme: VersionScheme
                do { scheme = try VersionScheme(ecosystem: Ecosystem(name)) } catch { continue }
                let text = try String(contentsOfFile: corpus + "/" + file, encoding: .utf8)
                let versions = text.split(separator: "\n").map(String.init).filter { (try? scheme.validate($0)) != nil }
                guard versions.count >= 2 else { continue }
                var generator = SplitMix64(seed: 0x5EED)
                let indices = (0..<pairs).map { _ in
                    (Int(generator.next() % UInt64(versions.count)), Int(generator.next() % UInt64(versions.count)))
                }
                let baseline = measure(indices.count) {
                    var n = 0
                    for (i, j) in indices where versions[i] < versions[j] { n += 1 }
                    return n
                }
                let full = measure(indices.count) {
                    var n = 0
                    for (i, j) in indices where (try? scheme.compare(versions[i], versions[j])) == .orderedAscending { n += 1 }
                    return n
                }
                let parsedOnly = Self.measureParsed(scheme.versionType, versions, indices)
                print(
                    name.padding(toLength: 16, withPad: " ", startingAt: 0),
                    String(versions.count).leftPadded(8),
                    format(baseline).leftPadded(11),
                    format(full).leftPadded(17),
                    String(format: "%5.2f", full / baseline).leftPadded(6),
                    format(parsedOnly).leftPadded(14),
                    String(format: "%5.2f", parsedOnly / baseline).leftPadded(12)
                )
            }
        }

        private static func measureParsed<V: EcosystemVersion>(_ type: V.Type, _ versions: [String], _ indices: [(Int, Int)]) -> Double {
            let parsed = versions.compactMap { try? V(parsing: $0) }
            return measure(indices.count) {
                var n = 0
                for (i, j) in indices where parsed[i] < parsed[j] { n += 1 }
                return n
            }
        }
    }
}

extension BenchCommand {
    /// `vigil serve` in this process on 127.0.0.1 (a free port), and a client for it.
    static func startServer(store: ServiceStore, data: URL, readTimeout: Int64) async throws -> (Task<Void, Error>, Int, HTTPClient) {
        let (ports, continuation) = AsyncStream<Int>.makeStream()
        var logger = Logger(label: "vigil-bench")
        logger.logLevel = .critical
        let service = ScanService(store: store, dataDirectory: data, logger: logger)
        let server = Task { try await VigilServer.run(host: "127.0.0.1", port: 0, store: store, service: service, logger: logger) { continuation.yield($0) } }
        var iterator = ports.makeAsyncIterator()
        guard let port = await iterator.next() else { throw ValidationError("the server did not start") }
        let client = HTTPClient(eventLoopGroup: HTTPClient.defaultEventLoopGroup,
                                configuration: .init(timeout: .init(connect: .seconds(5), read: .seconds(readTimeout))))
        return (server, port, client)
    }

    struct Database: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "db",
            abstract: "Advisory import rate from OSV all.zip files and the lookup time for one package.",
            discussion: """
            OSV_DIR is laid out like OSV's bucket (<Ecosystem>/all.zip), e.g. ../shared/data/osv. Import is \
            compared with only unzipping and parsing the same records (the floor any importer pays); \
            lookup ('all affected entries for (ecosystem, package)') with a primary-key probe of the same database.
            """
        )

        @Option(help: "Directory laid out like OSV's bucket.")
        var osvDir: String

        func run() async throws {
            let root = URL(fileURLWithPath: osvDir)
            let zips = try FileManager.default.contentsOfDirectory(atPath: osvDir).sorted()
                .map { root.appending(path: "\($0)/all.zip") }
                .filter { FileManager.default.fileExists(atPath: $0.path) }
            guard !zips.isEmpty else { throw ValidationError("no <Ecosystem>/all.zip under \(osvDir)") }

            var parsed = 0
            let parseSeconds = try seconds {
                for zip in zips {
                    try ZipReader(url: zip).forEachFile { _, data in
                        if (try? JSONSerialization.jsonObject(with: data)) != nil { parsed += 1 }
                    }
                }
            }
            let scratch = FileManager.default.temporaryDirectory.appending(path: "vigil-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            var stored = 0
            let importSeconds = try await asyncSeconds {
                let importer = try AdvisoryImporter(dataDirectory: scratch)
                for zip in zips { try await importer.importInput(zip.path) }
                stored = try importer.finish().records
            }
            print("import: \(stored) records in \(String(format: "%.2f", importSeconds)) s = \(Int(Double(stored) / importSeconds)) records/s; " +
                  "unzip+parse only: \(Int(Double(parsed) / parseSeconds)) records/s; ratio \(String(format: "%.2f", (Double(stored) / importSeconds) / (Double(parsed) / parseSeconds)))")

            let db = try AdvisoryDatabase(dataDirectory: scratch)
            var queries: [(Ecosystem, String)] = []
            for family in try db.status().ecosystems.keys.sorted() {
                for name in try db.packageNames(family: family, limit: 500) { queries.append((Ecosystem(family), name)) }
            }
            let ids = try queries.compactMap { try db.affected(ecosystem: $0.0, name: $0.1).first?.advisoryID }
            var entries = 0
            var lookup = Double.infinity, probe = Double.infinity
            for round in 0..<3 {  // best of three medians: the machine is shared and noisy
                lookup = min(lookup, try medianMicroseconds(queries) { q in
                    let found = try db.affected(ecosystem: q.0, name: q.1).count
                    if round == 0 { entries += found }
                })
                probe = min(probe, try medianMicroseconds(ids) { id in _ = try db.contains(id: id) })
            }
            print("lookup: median \(String(format: "%.1f", lookup)) µs (best of 3) over \(queries.count) packages (\(entries) entries); " +
                  "primary-key probe median \(String(format: "%.1f", probe)) µs; ratio \(String(format: "%.1f", lookup / probe))")
        }
    }
}

extension BenchCommand {
    struct InventoryBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "inventory",
            abstract: "Time to catalog a root filesystem, against archiving the same tree with tar.",
            discussion: """
            ROOT is a root filesystem, e.g. from 'debootstrap --variant=minbase bookworm ROOT'. The baseline             is 'tar -cf - ROOT > /dev/null' over the same tree in the same run; both run once to warm the             page cache, then the best of --rounds is kept for each.
            """
        )

        @Option(help: "Root filesystem directory.") var root: String
        @Option(help: "Timed rounds for each side.") var rounds = 15

        func run() throws {
            let fs = try DirectoryFileSystem(root: root)
            func tar() throws {
                let process = Process()
                process.executableURL = URL(fileURLWithPath: "/bin/sh")
                process.arguments = ["-c", "tar -cf - \"$0\" > /dev/null 2>&1", root]
                try process.run()
                process.waitUntilExit()
            }
            var inventory = Cataloging.inventory(of: fs)
            try tar()
            var catalogBest = Double.infinity, tarBest = Double.infinity
            for _ in 0..<rounds {
                catalogBest = min(catalogBest, seconds { inventory = Cataloging.inventory(of: fs) })
                tarBest = min(tarBest, try seconds { try tar() })
            }
            var files = 0
            fs.walk("/") { _ in files += 1 }
            print("inventory: \(inventory.packages.count) packages, \(files) files, OS \(inventory.operatingSystem?.ecosystem ?? "unknown"), \(inventory.problems.count) problems")
            print("catalog: \(String(format: "%.3f", catalogBest)) s (best of \(rounds)); tar -cf - ROOT > /dev/null: \(String(format: "%.3f", tarBest)) s; ratio \(String(format: "%.2f", catalogBest / tarBest))")
        }
    }
}

extension BenchCommand {
    struct ImageBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "image",
            abstract: "Image scan time against decompressing its layers with gzip, the cached re-scan, and peak memory.",
            discussion: """
            IMAGE is an image reference (oci:DIR:TAG, e.g. from Scripts/make-bench-image.sh). The baseline is             'gzip -dc' of every layer blob to /dev/null in the same run (decompression is the floor of any             scan); the re-scan reads every layer's index from the cache. Peak memory is this process's             maximum resident set after the first scan.
            """
        )

        @Argument(help: "The image.") var image: String

        func run() async throws {
            guard let reference = try ImageReference(transport: image) else { throw ValidationError("'\(image)' is not an image reference") }
            let resolved = try await reference.resolve(platform: .host, registry: nil)
            let scratch = FileManager.default.temporaryDirectory.appending(path: "vigil-bench-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            let cache = LayerCache(directory: scratch.appending(path: "layers"))
            var first: ImageInventory?
            let scanSeconds = try await asyncSeconds {
                first = try await ImageScanner.scan(resolved, options: .init(cache: cache, scratch: scratch))
            }
            var usage = rusage()
            getrusage(RUSAGE_SELF.rawValue, &usage)
            var ranges: [FileRange] = []
            for layer in resolved.layers { ranges.append(try await layer.fetch(scratch)) }
            let gzipSeconds = try seconds {
                for range in ranges {
                    let process = Process()
                    process.executableURL = URL(fileURLWithPath: "/bin/sh")
                    // A blob that is a whole file is read by gzip itself; a member of an archive is cut out first.
                    process.arguments = range.offset == 0
                        ? ["-c", "gzip -dc < \"$0\" > /dev/null", range.path]
                        : ["-c", "tail -c +$(( $1 + 1 )) \"$0\" | head -c $2 | gzip -dc > /dev/null", range.path, "\(range.offset)", "\(range.length)"]
                    try process.run()
                    process.waitUntilExit()
                }
            }
            var second: ImageInventory?
            let rescanSeconds = try await asyncSeconds {
                second = try await ImageScanner.scan(resolved, options: .init(cache: cache, scratch: scratch))
            }
            let bytes = first?.bytesRead ?? 0
            print("image: \(resolved.layers.count) layers, \(bytes >> 20) MiB uncompressed, \(first?.inventory.packages.count ?? 0) packages")
            print("scan: \(String(format: "%.2f", scanSeconds)) s; gzip -dc of the layers: \(String(format: "%.2f", gzipSeconds)) s; ratio \(String(format: "%.2f", scanSeconds / gzipSeconds))")
            print("cached re-scan: \(String(format: "%.3f", rescanSeconds)) s (\(second?.cachedLayers ?? 0) layers from cache); \(String(format: "%.1f", 100 * rescanSeconds / scanSeconds))% of the first scan")
            print("peak memory after the first scan: \(usage.ru_maxrss / 1024) MiB")
        }
    }
}

extension BenchCommand {
    struct MatchBench: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "match",
            abstract: "Matching time for a large inventory against the advisory store in --data-dir.",
            discussion: """
            The inventory is made of real package names from the store (every ecosystem it holds, in turn)             at low versions, so most lookups find advisories to evaluate. The baseline is the store lookups             alone for the same packages, measured in the same run; matching adds version evaluation.
            """
        )

        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Packages in the inventory.") var packages = 10_000

        func run() throws {
            let database = try AdvisoryDatabase(dataDirectory: data.url)
            let families = try database.status().ecosystems.keys.sorted()
            var names: [(String, String)] = []
            for family in families {
                for name in try database.packageNames(family: family, limit: packages) { names.append((family, name)) }
            }
            guard !names.isEmpty else { throw ValidationError("the store holds no packages") }
            let low: [String: String] = ["Debian": "0.1-1", "Ubuntu": "0.1-1", "Alpine": "0.1-r0", "AlmaLinux": "0:0.1-1.el9"]
            let release: [String: String] = ["Debian": "Debian:11", "Ubuntu": "Ubuntu:22.04:LTS", "Alpine": "Alpine:v3.11", "AlmaLinux": "AlmaLinux:9"]
            var inventory: [Package] = []
            var k = 0
            while inventory.count < packages {
                // Round-robin over ecosystems so each is represented.
                let (family, name) = names[(k * 7919) % names.count]
                k += 1
                let os = low[family] != nil
                inventory.append(Package(name: name, version: low[family] ?? "0.0.1", ecosystem: release[family] ?? family,
                                         purl: "pkg:generic/\(name)", path: "/bench", packageManager: os ? .os : .pythonPackage,
                                         sourceName: os ? name : nil))
            }
            var lookupBest = Double.infinity, matchBest = Double.infinity, indexedBest = Double.infinity
            var found = 0, indexedFound = 0
            let index = AffectedIndex()
            let preload = try seconds { try index.preload(database) }
            for _ in 0..<7 {
                lookupBest = min(lookupBest, try seconds {
                    var seen = Set<String>()
                    for p in inventory {
                        let key = Matcher.key(p)
                        guard seen.insert("\(key.ecosystem)\u{0}\(key.name)").inserted else { continue }
                        _ = try database.affected(ecosystem: key.ecosystem, name: key.name)
                    }
                })
                matchBest = min(matchBest, try seconds { found = try Matcher(database: database).matches(inventory).matches.count })
                indexedBest = min(indexedBest, try seconds { indexedFound = try Matcher(database: database, index: index).matches(inventory).matches.count })
            }
            print("inventory: \(inventory.count) packages over \(families.count) ecosystems; \(found) matches")
            print("match: \(String(format: "%.1f", matchBest * 1000)) ms (best of 7); store lookups alone: \(String(format: "%.1f", lookupBest * 1000)) ms; ratio \(String(format: "%.2f", matchBest / lookupBest))")
            print("match with the entries in memory: \(String(format: "%.1f", indexedBest * 1000)) ms (\(indexedFound) matches; loading them when the store opens took \(String(format: "%.0f", preload * 1000)) ms); ratio to store lookups alone \(String(format: "%.2f", indexedBest / lookupBest))")
        }
    }
}

extension BenchCommand {
    struct APIBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "api",
            abstract: "Authenticated requests per second against an in-process vigil serve on 127.0.0.1.",
            discussion: """
            Each request is a SigV4-signed BatchGetAccountStatus (a cheap read). The baseline is GET /healthz             (no authentication, no store) on the same server, in the same run, with the same concurrency.
            """
        )

        @Option(help: "Requests per measurement.") var requests = 5_000
        @Option(help: "Requests in flight at once.") var concurrency = 16

        func run() async throws {
            let data = FileManager.default.temporaryDirectory.appending(path: "vigil-bench-api-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: data) }
            let store = try ServiceStore(dataDirectory: data)
            let (key, secret, account) = ("AKIAVIGILBENCHMARK01", "vigil-bench-secret-0123456789", "123456789012")
            try store.addPrincipal(.init(accessKeyID: key, accountID: account, secret: secret, policy: "full"))
            let (server, port, client) = try await BenchCommand.startServer(store: store, data: data, readTimeout: 30)
            func measure(signed: Bool) async throws -> Double {
                let start = ContinuousClock.now
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var issued = 0
                    func issue() {
                        group.addTask {
                            var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)" + (signed ? "/status/batch/get" : "/healthz"))
                            if signed {
                                let body = Data("{}".utf8)
                                request.method = .POST
                                for (name, value) in SigV4Signer.headers(method: "POST", path: "/status/batch/get", host: "127.0.0.1:\(port)", body: body,
                                                                          accessKeyID: key, secret: secret, region: "eu-west-1") {
                                    request.headers.add(name: name, value: value)
                                }
                                request.body = .bytes(ByteBuffer(bytes: body))
                            }
                            let response = try await client.execute(request, timeout: .seconds(30))
                            guard response.status == .ok else { throw ValidationError("status \(response.status.code)") }
                            _ = try await response.body.collect(upTo: 1 << 20)
                        }
                        issued += 1
                    }
                    for _ in 0..<min(concurrency, requests) { issue() }
                    while try await group.next() != nil {
                        if issued < requests { issue() }
                    }
                }
                return Double(requests) / (ContinuousClock.now - start).seconds
            }
            _ = try await measure(signed: true)  // warm up connections and caches
            let health = try await measure(signed: false)
            let signed = try await measure(signed: true)
            try await client.shutdown()
            server.cancel()
            print("requests: \(requests) at concurrency \(concurrency) on 127.0.0.1")
            print("signed BatchGetAccountStatus: \(Int(signed)) req/s; GET /healthz: \(Int(health)) req/s; ratio \(String(format: "%.2f", signed / health))")
        }
    }
}

extension BenchCommand {
    struct ReevaluateBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "reevaluate",
            abstract: "Re-evaluation of stored inventories after an advisory update, through the server's job queue.",
            discussion: """
            Stores N host inventories (real package names from the store in --data-dir at low versions, \
            200 packages each, Debian 11 and PyPI) in a scratch service store beside a copy of the advisory \
            database, lets the workers evaluate them once, then lands a revised copy of the advisory database \
            (one in twenty Debian and PyPI advisories revised, one in twenty EPSS scores moved) by rename, as \
            `vigil db update` does, and times until the server's watcher has noticed it, loaded it and every \
            inventory is evaluated again. The baseline is matching and building every finding in one loop \
            without the queue or the store, measured in the same run.
            """
        )

        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Stored inventories.") var resources = 1_000
        @Option(help: "Scan workers.") var workers = 2

        func run() async throws {
            let source = try AdvisoryDatabase(dataDirectory: data.url)
            let scratch = FileManager.default.temporaryDirectory.appending(path: "vigil-bench-reevaluate-\(UUID().uuidString)")
            defer { try? FileManager.default.removeItem(at: scratch) }
            try FileManager.default.createDirectory(at: scratch, withIntermediateDirectories: true)
            try FileManager.default.copyItem(atPath: source.path, toPath: scratch.appending(path: AdvisoryDatabase.fileName).path)
            let store = try ServiceStore(dataDirectory: scratch)
            let (account, region) = ("123456789012", "us-east-1")
            try store.setStatus(account: account, region: region, resourceTypes: ["EC2"], status: "ENABLED")
            let debian = try source.packageNames(family: "Debian", limit: 5_000), pypi = try source.packageNames(family: "PyPI", limit: 5_000)
            guard !debian.isEmpty || !pypi.isEmpty else { throw ValidationError("the store holds neither Debian nor PyPI advisories") }
            var logger = Logger(label: "vigil-bench")
            logger.logLevel = .critical
            let service = ScanService(store: store, dataDirectory: scratch, workers: workers, logger: logger)
            var records: [ResourceRecord] = []
            for n in 0..<resources {
                var packages: [Package] = []
                for k in 0..<150 where !debian.isEmpty {
                    let name = debian[(n * 31 + k * 7919) % debian.count]
                    packages.append(Package(name: name, version: "0.1-1", ecosystem: "Debian:11", purl: "pkg:deb/debian/\(name)@0.1-1",
                                            path: "/var/lib/dpkg/status", packageManager: .os, sourceName: name))
                }
                for k in 0..<50 where !pypi.isEmpty {
                    let name = pypi[(n * 17 + k * 104_729) % pypi.count]
                    packages.append(Package(name: name, version: "0.0.1", ecosystem: "PyPI", purl: "pkg:pypi/\(name)@0.0.1",
                                            path: "/usr/lib/python3/dist-packages", packageManager: .pythonPackage))
                }
                let id = "i-" + String(format: "%017x", n + 1)
                records.append(ResourceRecord(inventory: Inventory(operatingSystem: nil, packages: packages),
                                              resource: Resource(type: "AWS_EC2_INSTANCE", id: id, partition: "aws", region: region),
                                              coverageType: "AWS_EC2_INSTANCE"))
            }
            for record in records { try service.submit(record, account: account, region: region) }
            /// Runs the service (workers and the advisory watcher) until `done` holds and the queue is empty.
            func drain(until done: @escaping () throws -> Bool = { true }) async throws -> Double {
                try await asyncSeconds {
                    let running = Task { await service.run() }
                    while true {
                        let counts = try store.jobCounts()
                        if try done(), (counts["queued"] ?? 0) + (counts["leased"] ?? 0) == 0 { break }
                        try await Task.sleep(for: .milliseconds(20))
                    }
                    running.cancel()
                    await running.value
                }
            }
            let first = try await drain()
            let before = Dictionary(try store.findings(account: account, region: region).map { ($0.arn, $0.fingerprint) }, uniquingKeysWith: { a, _ in a })
            // The advisory update, landed as `vigil db update` lands one: a revised copy of the
            // database renamed over the old one. The watcher notices it, loads it and queues every
            // stored inventory; the time runs until they are all evaluated.
            let live = scratch.appending(path: AdvisoryDatabase.fileName), staged = scratch.appending(path: "advisories.next.sqlite")
            try FileManager.default.copyItem(at: live, to: staged)
            let revised = try Self.revise(staged.path)
            let evaluated = try store.setting(account: "", region: "", name: "advisories.evaluated")?.value
            guard rename(staged.path, live.path) == 0 else { throw ValidationError("cannot replace \(live.path)") }
            let update = try await drain(until: { try store.setting(account: "", region: "", name: "advisories.evaluated")?.value != evaluated })
            let after = try store.findings(account: account, region: region)
            let rebuilt = after.filter { before[$0.arn] != $0.fingerprint }.count
            let findings = after.count
            let index = AffectedIndex()
            try index.preload(source)
            let cache = AdvisoryCache()
            let baseline = try seconds {
                for record in records {
                    let matches = try Matcher(database: source, index: index).matches(record.inventory.packages).matches
                    _ = try FindingBuilder(database: source, cache: cache).findings(for: matches, context: .init(resource: record.resource, accountID: account, region: region))
                }
            }
            print("inventories: \(resources) of \(records.first?.inventory.packages.count ?? 0) packages; \(findings) findings stored")
            print("first evaluation (queue, store, index load): \(String(format: "%.2f", first)) s")
            print("advisory update: \(revised.advisories) advisories revised, \(revised.epss) EPSS scores moved; \(rebuilt) findings rebuilt, the rest unchanged")
            print("re-evaluation after the advisory update (from the file landing, through the watcher): \(String(format: "%.2f", update)) s with \(workers) workers; "
                  + "matching and building findings alone: \(String(format: "%.2f", baseline)) s; ratio \(String(format: "%.2f", update / baseline))")
        }
    }
}

extension BenchCommand.ReevaluateBench {
    /// Revises an advisory database the way a daily update does: one in twenty Debian and PyPI
    /// advisories gets a new `modified` time and summary, one in twenty EPSS scores moves.
    static func revise(_ path: String) throws -> (advisories: Int, epss: Int) {
        let queue = try DatabaseQueue(path: path)
        return try queue.write { db in
            let stamp = ISO8601DateFormatter().string(from: Date())
            try db.execute(sql: """
                UPDATE advisory SET modified = ?, record = json_set(record, '$.modified', ?, '$.summary', 'Revised by vigil bench reevaluate')
                WHERE rowid % 20 = 0 AND id IN (SELECT advisory_id FROM affected WHERE family IN ('Debian', 'PyPI'))
                """, arguments: [stamp, stamp])
            let advisories = db.changesCount
            try db.execute(sql: "UPDATE epss SET probability = min(1.0, probability * 1.5 + 0.001) WHERE rowid % 20 = 0")
            return (advisories, db.changesCount)
        }
    }
}

private func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = ContinuousClock.now
    try body()
    return (ContinuousClock.now - start).seconds
}

private func asyncSeconds(_ body: () async throws -> Void) async rethrows -> Double {
    let start = ContinuousClock.now
    try await body()
    return (ContinuousClock.now - start).seconds
}

/// Median wall time of `body` over `inputs`, in microseconds.
private func medianMicroseconds<T>(_ inputs: [T], _ body: (T) throws -> Void) rethrows -> Double {
    var samples: [Double] = []
    samples.reserveCapacity(inputs.count)
    for input in inputs {
        let start = ContinuousClock.now
        try body(input)
        samples.append((ContinuousClock.now - start).seconds * 1e6)
    }
    samples.sort()
    return samples.isEmpty ? 0 : samples[samples.count / 2]
}

extension Duration {
    var seconds: Double { Double(components.seconds) + Double(components.attoseconds) * 1e-18 }
}

/// Operations per second of `body`, best of three runs; the body's result is kept so the work is not optimised away.
private func measure(_ operations: Int, _ body: () -> Int) -> Double {
    var best = Double.infinity
    var sink = 0
    for _ in 0..<3 {
        let start = ContinuousClock.now
        sink &+= body()
        best = min(best, (ContinuousClock.now - start).seconds)
    }
    if sink == Int.min { print("") }
    return Double(operations) / max(best, 1e-9)
}

private func format(_ rate: Double) -> String {
    rate >= 1e6 ? String(format: "%.2fM", rate / 1e6) : String(format: "%.0fk", rate / 1e3)
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
