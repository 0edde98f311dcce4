import API
import AsyncHTTPClient
import ArgumentParser
import Foundation
import Logging
import NIOCore
import Service
import Storage
import VigilCore

extension BenchCommand {
    /// `vigil bench populate`: a generated population written into a data directory (for tests
    /// and for trying the findings API by hand).
    struct Populate: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "populate",
            abstract: "Write a generated population of resources and findings into a data directory.",
            discussion: "Synthetic (vulnerability ids VGEN-…) but shaped like a real estate; deterministic for a seed. See FindingPopulation."
        )

        @Option(help: "Data directory (created when missing).") var dataDir: String
        @Option(help: "Findings to write.") var findings = 3_000
        @Option(help: "Accounts, comma-separated; most findings go to the first.") var accounts = "111122223333,444455556666,777788889999"
        @Option(help: "Region.") var region = "eu-west-1"
        @Option(help: "Random seed.") var seed: UInt64 = 7

        func run() throws {
            let store = try ServiceStore(dataDirectory: URL(fileURLWithPath: dataDir))
            let list = accounts.split(separator: ",").map(String.init)
            for account in list where account.count != 12 || !account.allSatisfy(\.isNumber) {
                throw ValidationError("'\(account)' is not a 12-digit account id")
            }
            let resources = try FindingPopulation.write(to: store, findings: findings, accounts: list, region: region, seed: seed)
            print("wrote \(findings) findings on \(resources) resources in \(region) for \(list.joined(separator: ", "))")
        }
    }

    /// `vigil bench findings`: the findings API at scale, measured by a load tool against a
    /// running server.
    struct FindingsBench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "findings",
            abstract: "ListFindings and ListFindingAggregations latency over a generated population (default 1,000,000 findings).",
            discussion: """
            Writes the population into a scratch data directory, starts vigil serve in-process on \
            127.0.0.1, waits until the finding index is loaded, then sends signed requests with the given \
            concurrency: typical triage ListFindings queries (each filter set with its sort, and second \
            pages through nextToken) and aggregations by PACKAGE and by AWS_ECR_CONTAINER. The baseline is \
            the latency of a signed BatchGetAccountStatus (a cheap read) at the same concurrency.
            """
        )

        @Option(help: "Findings in the store.") var findings = 1_000_000
        @Option(help: "ListFindings requests to time.") var requests = 600
        @Option(help: "Aggregation requests to time, per type.") var aggregations = 20
        @Option(help: "Requests in flight at once.") var concurrency = 2
        @Option(help: "Reuse (or keep) this data directory instead of a scratch one.") var dataDir: String?

        static let account = "123456789012", region = "eu-west-1"

        /// Typical triage queries: (name, request body).
        static func queries() -> [(String, [String: Any])] {
            func eq(_ v: String) -> [[String: Any]] { [["comparison": "EQUALS", "value": v]] }
            let active = eq("ACTIVE")
            let week = 1_790_000_000.0 - 7 * 86400
            return [
                ("critical, active, by score", ["filterCriteria": ["findingStatus": active, "severity": eq("CRITICAL")],
                                                "sortCriteria": ["field": "INSPECTOR_SCORE", "sortOrder": "DESC"]]),
                ("critical+high, fixable, prod", ["filterCriteria": ["findingStatus": active, "severity": eq("CRITICAL") + eq("HIGH"), "fixAvailable": eq("YES"),
                                                                     "resourceTags": [["comparison": "EQUALS", "key": "env", "value": "prod"]]]]),
                ("exploitable in shop/ images, by EPSS", ["filterCriteria": ["findingStatus": active, "exploitAvailable": eq("YES"),
                                                                             "ecrImageRepositoryName": [["comparison": "PREFIX", "value": "shop/"]]],
                                                         "sortCriteria": ["field": "EPSS_SCORE", "sortOrder": "DESC"]]),
                ("one vulnerability everywhere", ["filterCriteria": ["vulnerabilityId": eq("VGEN-2016-10001")]]),
                ("seen this week, high+", ["filterCriteria": ["lastObservedAt": [["startInclusive": week]], "inspectorScore": [["lowerInclusive": 7.0]]],
                                           "sortCriteria": ["field": "LAST_OBSERVED_AT", "sortOrder": "DESC"]]),
                ("lambda python, not closed", ["filterCriteria": ["resourceType": eq("AWS_LAMBDA_FUNCTION"), "findingStatus": [["comparison": "NOT_EQUALS", "value": "CLOSED"]],
                                                                  "lambdaFunctionRuntime": [["comparison": "PREFIX", "value": "PYTHON"]]]]),
                ("package openssl, by first seen", ["filterCriteria": ["vulnerablePackages": [["name": ["comparison": "EQUALS", "value": "openssl"]]]],
                                                    "sortCriteria": ["field": "FIRST_OBSERVED_AT", "sortOrder": "ASC"]]),
                ("everything, default order", [:]),
            ]
        }

        func run() async throws {
            let scratch = dataDir == nil
            let data = dataDir.map { URL(fileURLWithPath: $0) } ?? FileManager.default.temporaryDirectory.appending(path: "vigil-bench-findings-\(UUID().uuidString)")
            defer { if scratch { try? FileManager.default.removeItem(at: data) } }
            let store = try ServiceStore(dataDirectory: data)
            let (key, secret) = ("AKIAVIGILBENCHMARK02", "vigil-bench-secret-0123456789")
            if try store.principal(accessKeyID: key) == nil {
                try store.addPrincipal(.init(accessKeyID: key, accountID: Self.account, secret: secret, policy: "full"))
            }
            if try store.changePosition() == 0 {
                let start = ContinuousClock.now
                try FindingPopulation.write(to: store, findings: findings, accounts: [Self.account], region: Self.region, seed: 42)
                print("population: \(findings) findings written in \(Self.format(ContinuousClock.now - start))")
            }
            let (server, port, client) = try await BenchCommand.startServer(store: store, data: data, readTimeout: 600)
            func send(_ path: String, _ object: [String: Any]) async throws -> (Duration, [String: Any]) {
                let body = try JSONSerialization.data(withJSONObject: object)
                var request = HTTPClientRequest(url: "http://127.0.0.1:\(port)" + path)
                request.method = .POST
                for (name, value) in SigV4Signer.headers(method: "POST", path: path, host: "127.0.0.1:\(port)", body: body,
                                                          accessKeyID: key, secret: secret, region: Self.region) {
                    request.headers.add(name: name, value: value)
                }
                request.body = .bytes(ByteBuffer(bytes: body))
                let start = ContinuousClock.now
                let response = try await client.execute(request, timeout: .seconds(600))
                let bytes = try await response.body.collect(upTo: 64 << 20)
                let elapsed = ContinuousClock.now - start
                guard response.status == .ok else { throw ValidationError("\(path): status \(response.status.code): \(String(buffer: bytes))") }
                return (elapsed, (try JSONSerialization.jsonObject(with: Data(buffer: bytes)) as? [String: Any]) ?? [:])
            }
            // The first query waits for the index (loaded from the store at start).
            let (load, first) = try await send("/findings/list", ["maxResults": 1])
            print("first ListFindings (index loaded from the store): \(Self.format(load)); \((first["findings"] as? [Any])?.count ?? 0) finding returned")

            // Requests for the run: each query, and its second page.
            var bodies: [(String, [String: Any])] = []
            for (name, query) in Self.queries() {
                var body = query
                body["maxResults"] = 100
                bodies.append((name, body))
                let (_, page) = try await send("/findings/list", body)
                if let token = page["nextToken"] as? String {
                    body["nextToken"] = token
                    bodies.append((name + " (page 2)", body))
                }
                print("  " + name.padding(toLength: 44, withPad: " ", startingAt: 0)
                      + " first page \((page["findings"] as? [Any])?.count ?? 0) findings" + (page["nextToken"] == nil ? "" : ", more"))
            }
            func run(_ count: Int, _ make: @escaping @Sendable (Int) -> (String, [String: Any])) async throws -> [Double] {
                let latencies = Slots<Double>(count: count)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    var issued = 0
                    func issue() {
                        let n = issued
                        let (path, body) = make(n)
                        nonisolated(unsafe) let unsafeBody = body
                        group.addTask {
                            let (elapsed, _) = try await send(path, unsafeBody)
                            latencies.set(n, Double(elapsed.components.attoseconds) / 1e15 + Double(elapsed.components.seconds) * 1000)
                        }
                        issued += 1
                    }
                    for _ in 0..<min(concurrency, count) { issue() }
                    while try await group.next() != nil { if issued < count { issue() } }
                }
                return latencies.values.compactMap { $0 }
            }
            nonisolated(unsafe) let requestBodies = bodies
            _ = try await run(min(40, requests)) { n in ("/findings/list", requestBodies[n % requestBodies.count].1) }  // warm-up
            let baseline = try await run(requests) { _ in ("/status/batch/get", [:]) }
            let list = try await run(requests) { n in ("/findings/list", requestBodies[n % requestBodies.count].1) }
            print("\(findings) findings in one account; \(requests) requests each, concurrency \(concurrency), 127.0.0.1")
            print("  baseline BatchGetAccountStatus: " + Self.summary(baseline))
            print("  ListFindings (\(bodies.count) triage requests in turn): " + Self.summary(list)
                  + String(format: "; p99 ratio to baseline p99 %.1f", Self.percentile(list, 0.99) / Self.percentile(baseline, 0.99)))
            for (n, (name, _)) in bodies.enumerated() {
                let times = list.enumerated().filter { $0.offset % bodies.count == n }.map(\.element)
                print("    " + name.padding(toLength: 52, withPad: " ", startingAt: 0) + Self.summary(times))
            }
            for type in ["PACKAGE", "AWS_ECR_CONTAINER"] {
                let member = type == "PACKAGE" ? "packageAggregation" : "awsEcrContainerAggregation"
                let body: [String: Any] = ["aggregationType": type, "aggregationRequest": [member: ["sortBy": "CRITICAL", "sortOrder": "DESC"]], "maxResults": 100]
                nonisolated(unsafe) let aggregationBody = body
                let times = try await run(aggregations) { _ in ("/findings/aggregation/list", aggregationBody) }
                print("  ListFindingAggregations \(type): " + Self.summary(times))
            }
            try await client.shutdown()
            server.cancel()
        }

        static func percentile(_ values: [Double], _ p: Double) -> Double {
            let sorted = values.sorted()
            guard !sorted.isEmpty else { return 0 }
            return sorted[min(sorted.count - 1, Int((Double(sorted.count) * p).rounded(.up)) - 1)]
        }

        static func summary(_ values: [Double]) -> String {
            String(format: "p50 %.1f ms, p95 %.1f ms, p99 %.1f ms, max %.1f ms", percentile(values, 0.5), percentile(values, 0.95),
                   percentile(values, 0.99), values.max() ?? 0)
        }

        static func format(_ d: Duration) -> String {
            String(format: "%.2f s", Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18)
        }
    }
}
