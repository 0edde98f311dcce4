import API
import Foundation
import Storage
import VigilCore

/// A generated population of resources and findings, written straight into a store: what the
/// findings API's tests and benchmark query. Deterministic for a seed.
///
/// It is synthetic and says so: vulnerability ids are `VGEN-<year>-<n>` (no real CVE is
/// described with made-up facts). Its shape follows a real estate: EC2 hosts (OS packages),
/// container images (OS and language packages in layers) and Lambda functions (language packages,
/// some from layers), across several AMIs, VPCs, repositories, runtimes and tag values; severities,
/// scores, EPSS, fix and exploit availability spread as in a typical Inspector account; about one
/// finding in eight CLOSED.
enum FindingPopulation {
    typealias I2 = Inspector2

    struct Vulnerability {
        var id: String
        var severity: I2.Severity
        var score: Double
        var epss: Double
        var exploit: Bool
        var fix: I2.FixAvailable
        var source: String
        var related: [String]
        var package: String
        var manager: I2.PackageManager
    }

    static let osPackages = ["openssl", "libssl3", "zlib1g", "libc6", "curl", "libcurl4", "libxml2", "libexpat1", "libsqlite3-0", "tar", "gzip",
                             "libgnutls30", "libkrb5-3", "perl-base", "bash", "libpcre2-8-0", "libtiff6", "libpng16-16", "libjpeg62-turbo", "git"]
    static let pythonPackages = ["requests", "urllib3", "django", "jinja2", "pyyaml", "cryptography", "pillow", "flask", "werkzeug", "setuptools"]
    static let npmPackages = ["lodash", "express", "axios", "minimist", "semver", "ws", "jsonwebtoken", "tar", "follow-redirects", "qs"]
    static let javaPackages = ["org.apache.logging.log4j:log4j-core", "com.fasterxml.jackson.core:jackson-databind", "org.springframework:spring-web",
                               "org.yaml:snakeyaml", "io.netty:netty-codec-http"]
    static let repositories = (0..<60).map { ["shop", "search", "media", "billing", "auth", "ops"][$0 % 6] + "/" + ["web", "api", "worker", "cron", "gateway", "ui", "etl", "cache", "proxy", "batch"][$0 / 6] }
    static let imageTags = ["latest", "stable", "canary", "1.0", "1.1", "2.0", "2.1", "3.0", "v3", "release"]

    /// Writes `findings` findings (and their resources) spread over `accounts` (most in the first),
    /// in `region`. Returns the number of resources written.
    @discardableResult
    static func write(to store: ServiceStore, findings total: Int, accounts: [String], region: String, seed: UInt64,
                      now: Date = Date(timeIntervalSince1970: 1_790_000_000), progress: (Int) -> Void = { _ in }) throws -> Int {
        var random = SplitMix64(seed: seed)
        func pick<T>(_ list: [T]) -> T { list[Int(random.next() % UInt64(list.count))] }
        func unit() -> Double { Double(random.next() >> 11) / Double(1 << 53) }
        func hex(_ count: Int) -> String { (0..<count).map { _ in String(format: "%x", Int(random.next() % 16)) }.joined() }

        // The vulnerability pool: one package each, severities and scores spread as in practice.
        let pool: [Vulnerability] = (0..<max(200, min(4000, total / 250))).map { n in
            let roll = unit()
            let severity: I2.Severity = roll < 0.08 ? .critical : roll < 0.38 ? .high : roll < 0.83 ? .medium : roll < 0.95 ? .low : roll < 0.98 ? .informational : .untriaged
            let band: ClosedRange<Double> = switch severity {
            case .critical: 9.0...10.0
            case .high: 7.0...8.9
            case .medium: 4.0...6.9
            case .low: 0.1...3.9
            default: 0.0...0.0
            }
            let score = ((band.lowerBound + unit() * (band.upperBound - band.lowerBound)) * 10).rounded() / 10
            let kind = n % 10
            let (package, manager): (String, I2.PackageManager) =
                kind < 5 ? (pick(osPackages), .os) : kind < 7 ? (pick(pythonPackages), .pythonpkg) : kind < 9 ? (pick(npmPackages), .nodepkg) : (pick(javaPackages), .jar)
            let fixRoll = unit()
            return Vulnerability(id: "VGEN-\(2015 + n % 11)-\(10000 + n)", severity: severity, score: min(10, score),
                                 epss: (unit() * unit() * 1000).rounded() / 1000, exploit: unit() < 0.1,
                                 fix: fixRoll < 0.7 ? .yes : fixRoll < 0.75 ? .partial : .no,
                                 source: manager == .os ? pick(["DEBIAN_CVE", "UBUNTU_CVE", "NVD"]) : pick(["GHSA", "NVD"]),
                                 related: unit() < 0.4 ? ["VGEN-ADV-\(n)"] : [], package: package, manager: manager)
        }
        let osPool = pool.filter { $0.manager == .os }
        let languagePool = pool.filter { $0.manager != .os }

        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        var written = 0, resources = 0, serial = 0
        var pendingResources: [ServiceStore.StoredResource] = []
        var pendingFindings: [ServiceStore.StoredFinding] = []
        let day: TimeInterval = 86400
        while written < total {
            // Most findings in the first account; a few in each other.
            let account = accounts.count == 1 || unit() < 0.8 ? accounts[0] : pick(Array(accounts.dropFirst()))
            let kindRoll = unit()
            let count = min(total - written, 10 + Int(random.next() % 80))
            var resource: I2.Resource
            var coverage: I2.CoveredResource
            var layers: [String] = []
            var candidates: [Vulnerability]
            resources += 1
            let tags = ["env": pick(["prod", "staging", "dev"]), "team": pick(["payments", "search", "media", "platform"])]
            if kindRoll < 0.5 {
                let id = "i-" + hex(17)
                let details = I2.AwsEc2InstanceDetails(type: pick(["t3.medium", "m6i.large", "c7g.xlarge"]), imageId: "ami-0" + String(format: "%016x", random.next() % 20),
                                                       vpcId: "vpc-0" + String(format: "%016x", random.next() % 5),
                                                       subnetId: "subnet-0" + String(format: "%016x", random.next() % 20),
                                                       launchedAt: now.addingTimeInterval(-unit() * 400 * day), platform: pick(["DEBIAN_11", "DEBIAN_12", "UBUNTU_22_04"]))
                resource = I2.Resource(type: .awsEc2Instance, id: id, partition: "aws", region: region, tags: tags, details: .init(awsEc2Instance: details))
                coverage = I2.CoveredResource(resourceType: .awsEc2Instance, resourceId: id, accountId: account, scanType: .package,
                                              scanStatus: .init(statusCode: .active, reason: .successful),
                                              resourceMetadata: .init(ec2: .init(tags: tags, amiId: details.imageId, platform: .linux)), lastScannedAt: now,
                                              scanMode: .ec2SsmAgentBased)
                candidates = osPool
            } else if kindRoll < 0.85 {
                let repository = pick(repositories)
                let digest = "sha256:" + hex(64)
                layers = (0..<(2 + Int(random.next() % 4))).map { _ in "sha256:" + hex(64) }
                let id = "arn:aws:ecr:\(region):\(account):repository/\(repository)/\(digest)"
                let tagList = Array(Set((0..<(1 + Int(random.next() % 3))).map { _ in pick(imageTags) })).sorted()
                let inUse = Int64(random.next() % 20)
                let details = I2.AwsEcrContainerImageDetails(repositoryName: repository, imageTags: tagList, pushedAt: now.addingTimeInterval(-unit() * 300 * day),
                                                             architecture: pick(["amd64", "amd64", "arm64"]), imageHash: digest, registry: account,
                                                             platform: "DEBIAN_12", lastInUseAt: inUse > 0 ? now.addingTimeInterval(-unit() * 10 * day) : nil,
                                                             inUseCount: inUse)
                resource = I2.Resource(type: .awsEcrContainerImage, id: id, partition: "aws", region: region, details: .init(awsEcrContainerImage: details))
                coverage = I2.CoveredResource(resourceType: .awsEcrContainerImage, resourceId: id, accountId: account, scanType: .package,
                                              scanStatus: .init(statusCode: .active, reason: .successful),
                                              resourceMetadata: .init(ecrRepository: .init(name: repository, scanFrequency: .continuousScan),
                                                                      ecrImage: .init(tags: tagList, imagePulledAt: details.lastInUseAt)), lastScannedAt: now)
                candidates = pool
            } else {
                let name = pick(["thumbnailer", "ingest", "notifier", "resizer", "exporter", "webhook", "scheduler"]) + "-" + hex(4)
                let runtime: I2.Runtime = pick([.python39, .python311, .nodejs16X, .nodejs18X, .java17])
                layers = (0..<Int(random.next() % 3)).map { "arn:aws:lambda:\(region):\(account):layer:shared-\($0):\(1 + random.next() % 9)" }
                let id = "arn:aws:lambda:\(region):\(account):function:\(name):\(1 + random.next() % 12)"
                let details = I2.AwsLambdaFunctionDetails(functionName: name, runtime: runtime, codeSha256: hex(44), version: "1",
                                                          executionRoleArn: "arn:aws:iam::\(account):role/\(name)", layers: layers.isEmpty ? nil : layers,
                                                          lastModifiedAt: now.addingTimeInterval(-unit() * 80 * day))
                resource = I2.Resource(type: .awsLambdaFunction, id: id, partition: "aws", region: region, tags: tags, details: .init(awsLambdaFunction: details))
                coverage = I2.CoveredResource(resourceType: .awsLambdaFunction, resourceId: id, accountId: account, scanType: .package,
                                              scanStatus: .init(statusCode: .active, reason: .successful),
                                              resourceMetadata: .init(lambdaFunction: .init(functionTags: tags, layers: layers.isEmpty ? nil : layers,
                                                                                            functionName: name, runtime: runtime)), lastScannedAt: now)
                candidates = languagePool
            }
            var chosen = Set<Int>()
            var findings: [ServiceStore.StoredFinding] = []
            for _ in 0..<count {
                var v = Int(random.next() % UInt64(candidates.count))
                while chosen.contains(v) { v = (v + 1) % candidates.count }
                chosen.insert(v)
                let vulnerability = candidates[v]
                serial += 1
                let first = now.addingTimeInterval(-unit() * 180 * day)
                let last = min(now, first.addingTimeInterval(unit() * 60 * day))
                let closed = unit() < 0.12
                let version = "\(1 + random.next() % 4).\(random.next() % 20).\(random.next() % 10)"
                let fixed = vulnerability.fix == .no ? "NotAvailable" : "\(version)-fix1"
                var package = I2.VulnerablePackage(name: vulnerability.package, version: version, packageManager: vulnerability.manager,
                                                   filePath: vulnerability.manager == .os ? "/var/lib/dpkg/status" : "/app/\(vulnerability.package)/METADATA",
                                                   fixedInVersion: fixed)
                if vulnerability.manager == .os {
                    package.release = "1+deb12u\(random.next() % 5)"
                    package.arch = "amd64"
                    if random.next() % 5 == 0 { package.epoch = Int(random.next() % 3) + 1 }
                }
                if resource.type == .awsEcrContainerImage { package.sourceLayerHash = pick(layers) }
                if resource.type == .awsLambdaFunction, !layers.isEmpty, random.next() % 3 == 0 { package.sourceLambdaLayerArn = pick(layers) }
                let arn = "arn:aws:inspector2:\(region):\(account):finding/" + String(format: "%016llx%016llx", random.next(), UInt64(serial))
                let finding = I2.Finding(
                    findingArn: arn, awsAccountId: account, type: .packageVulnerability,
                    description: "\(vulnerability.id) affects \(vulnerability.package) (generated population)",
                    title: "\(vulnerability.id) - \(vulnerability.package)",
                    remediation: .init(recommendation: .init(text: fixed == "NotAvailable" ? "None provided" : "Upgrade \(vulnerability.package) to \(fixed)")),
                    severity: vulnerability.severity, firstObservedAt: first, lastObservedAt: last,
                    updatedAt: last, status: closed ? .closed : .active, resources: [resource],
                    inspectorScore: vulnerability.severity == .untriaged ? nil : vulnerability.score,
                    packageVulnerabilityDetails: .init(vulnerabilityId: vulnerability.id, vulnerablePackages: [package], source: vulnerability.source,
                                                       relatedVulnerabilities: vulnerability.related.isEmpty ? nil : vulnerability.related,
                                                       vendorSeverity: vulnerability.severity.rawValue),
                    fixAvailable: vulnerability.fix, exploitAvailable: vulnerability.exploit ? .yes : .no, epss: .init(score: vulnerability.epss))
                findings.append(.init(arn: arn, accountID: account, region: region, resourceID: resource.id, resourceType: resource.type.rawValue,
                                      vulnerabilityID: vulnerability.id, severity: vulnerability.severity.rawValue, status: finding.status.rawValue,
                                      document: String(decoding: try encoder.encode(finding), as: UTF8.self)))
            }
            pendingResources.append(.init(accountID: account, region: region, resourceID: coverage.resourceId, resourceType: coverage.resourceType.rawValue,
                                          document: String(decoding: try encoder.encode(coverage), as: UTF8.self)))
            pendingFindings += findings
            written += findings.count
            if pendingFindings.count >= 20_000 || written >= total {
                try store.putResources(pendingResources)
                try store.putFindings(pendingFindings)
                pendingResources.removeAll(keepingCapacity: true)
                pendingFindings.removeAll(keepingCapacity: true)
                progress(written)
            }
        }
        return resources
    }
}
