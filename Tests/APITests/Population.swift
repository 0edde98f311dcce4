import API
import Foundation
import Storage

/// Resources and findings registered straight through the storage layer (the sources that register
/// them arrive with continuous scanning), the same in every region the tests use.
///
/// The vulnerability facts are real: CVE-2023-0286 (openssl, DSA-5343: bullseye's libssl1.1
/// 1.1.1n-0+deb11u3 is affected, fixed in 1.1.1n-0+deb11u4), CVE-2022-37434 (zlib, DSA-5218: fixed in
/// 1:1.2.11.dfsg-2+deb11u2) and CVE-2023-32681 (requests, GHSA-j8r2-6x86-q33q: fixed in 2.31.0), with
/// their NVD CVSS v3.1 base scores 7.4, 9.8 and 6.1. The resources are made up.
enum Population {
    typealias I2 = Inspector2
    static let account = ServeProcess.account
    static let other = "444455556666"
    static let now = Date(timeIntervalSince1970: 1_790_000_000)

    static func imageDigest(_ seed: Int) -> String { "sha256:" + String(repeating: String(format: "%02x", seed), count: 32) }

    /// Six resources and five findings per region for the admin account, one of each for `other`.
    static func seed(_ dataDirectory: URL, regions: [String]) throws {
        let store = try ServiceStore(dataDirectory: dataDirectory)
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        for region in regions {
            var resources: [ServiceStore.StoredResource] = []
            var findings: [ServiceStore.StoredFinding] = []
            func resource(_ r: I2.CoveredResource, account: String = account) throws {
                resources.append(.init(accountID: account, region: region, resourceID: r.resourceId, resourceType: r.resourceType.rawValue,
                                       document: String(decoding: try encoder.encode(r), as: UTF8.self)))
            }
            func finding(_ f: I2.Finding) throws {
                findings.append(.init(arn: f.findingArn, accountID: f.awsAccountId, region: region, resourceID: f.resources[0].id,
                                      resourceType: f.resources[0].type.rawValue, vulnerabilityID: f.packageVulnerabilityDetails?.vulnerabilityId ?? "",
                                      severity: f.severity.rawValue, status: f.status.rawValue, document: String(decoding: try encoder.encode(f), as: UTF8.self)))
            }
            let web = "arn:aws:ecr:\(region):\(account):repository/web/\(imageDigest(1))"
            let api = "arn:aws:ecr:\(region):\(account):repository/api/\(imageDigest(2))"
            let lambda = "arn:aws:lambda:\(region):\(account):function:thumbnailer:3"
            let hour: TimeInterval = 3600
            try resource(.init(resourceType: .awsEc2Instance, resourceId: "i-0a1b2c3d4e5f60001", accountId: account, scanType: .package,
                               scanStatus: .init(statusCode: .active, reason: .successful),
                               resourceMetadata: .init(ec2: .init(tags: ["env": "prod"], amiId: "ami-0123456789abcdef0", platform: .linux)),
                               lastScannedAt: now.addingTimeInterval(-hour), scanMode: .ec2SsmAgentBased))
            try resource(.init(resourceType: .awsEc2Instance, resourceId: "i-0a1b2c3d4e5f60002", accountId: account, scanType: .package,
                               scanStatus: .init(statusCode: .inactive, reason: .unmanagedEc2Instance),
                               resourceMetadata: .init(ec2: .init(tags: ["env": "dev"], platform: .linux)), scanMode: .ec2SsmAgentBased))
            try resource(.init(resourceType: .awsEcrRepository, resourceId: "arn:aws:ecr:\(region):\(account):repository/web", accountId: account,
                               scanType: .package, scanStatus: .init(statusCode: .active, reason: .successful),
                               resourceMetadata: .init(ecrRepository: .init(name: "web", scanFrequency: .continuousScan))))
            try resource(.init(resourceType: .awsEcrContainerImage, resourceId: web, accountId: account, scanType: .package,
                               scanStatus: .init(statusCode: .active, reason: .successful),
                               resourceMetadata: .init(ecrRepository: .init(name: "web", scanFrequency: .continuousScan),
                                                       ecrImage: .init(tags: ["1.0", "latest"], imagePulledAt: now.addingTimeInterval(-2 * hour))),
                               lastScannedAt: now.addingTimeInterval(-2 * hour)))
            try resource(.init(resourceType: .awsEcrContainerImage, resourceId: api, accountId: account, scanType: .package,
                               scanStatus: .init(statusCode: .active, reason: .pendingInitialScan),
                               resourceMetadata: .init(ecrRepository: .init(name: "api", scanFrequency: .scanOnPush), ecrImage: .init(tags: ["2.3"]))))
            try resource(.init(resourceType: .awsLambdaFunction, resourceId: lambda, accountId: account, scanType: .package,
                               scanStatus: .init(statusCode: .active, reason: .successful),
                               resourceMetadata: .init(lambdaFunction: .init(functionTags: ["team": "media"], functionName: "thumbnailer", runtime: .python39)),
                               lastScannedAt: now.addingTimeInterval(-3 * hour)))
            try resource(.init(resourceType: .awsEc2Instance, resourceId: "i-0ffffffffffff0001", accountId: other, scanType: .package,
                               scanStatus: .init(statusCode: .active, reason: .successful)), account: other)

            var serial = 0
            func make(_ cve: String, _ severity: I2.Severity, _ status: I2.FindingStatus, score: Double, resource: I2.Resource,
                      package: I2.VulnerablePackage, account: String = account) throws {
                serial += 1
                let arn = "arn:aws:inspector2:\(region):\(account):finding/\(String(format: "%032x", serial * 7919))"
                let fix = package.fixedInVersion ?? "NotAvailable"
                try finding(.init(findingArn: arn, awsAccountId: account, type: .packageVulnerability,
                                  description: "\(cve) in \(package.name)", title: "\(cve) - \(package.name)",
                                  remediation: .init(recommendation: .init(text: "Upgrade \(package.name) to \(fix)")),
                                  severity: severity, firstObservedAt: now.addingTimeInterval(-Double(serial) * 86400),
                                  lastObservedAt: now.addingTimeInterval(-Double(serial) * hour), updatedAt: now.addingTimeInterval(-Double(serial) * hour),
                                  status: status, resources: [resource], inspectorScore: score,
                                  packageVulnerabilityDetails: .init(vulnerabilityId: cve, vulnerablePackages: [package], source: "NVD",
                                                                     sourceUrl: "https://nvd.nist.gov/vuln/detail/\(cve)", vendorSeverity: severity.rawValue),
                                  fixAvailable: package.fixedInVersion == nil ? .no : .yes, exploitAvailable: .no, epss: .init(score: score / 100)))
            }
            let host = I2.Resource(type: .awsEc2Instance, id: "i-0a1b2c3d4e5f60001", partition: "aws", region: region, tags: ["env": "prod"],
                                   details: .init(awsEc2Instance: .init(imageId: "ami-0123456789abcdef0", platform: "DEBIAN_11")))
            let image = I2.Resource(type: .awsEcrContainerImage, id: web, partition: "aws", region: region,
                                    details: .init(awsEcrContainerImage: .init(repositoryName: "web", imageTags: ["1.0", "latest"], pushedAt: now.addingTimeInterval(-5 * 86400),
                                                                               architecture: "amd64", imageHash: imageDigest(1), registry: account)))
            let function = I2.Resource(type: .awsLambdaFunction, id: lambda, partition: "aws", region: region, tags: ["team": "media"],
                                       details: .init(awsLambdaFunction: .init(functionName: "thumbnailer", runtime: .python39, codeSha256: "c29tZS1oYXNo",
                                                                               version: "3", executionRoleArn: "arn:aws:iam::\(account):role/thumbnailer")))
            let libssl = I2.VulnerablePackage(name: "libssl1.1", version: "1.1.1n", release: "0+deb11u3", arch: "amd64", packageManager: .os,
                                              filePath: "/var/lib/dpkg/status", fixedInVersion: "1.1.1n-0+deb11u4")
            let zlib = I2.VulnerablePackage(name: "zlib1g", version: "1.2.11.dfsg", epoch: 1, release: "2+deb11u1", arch: "amd64", packageManager: .os,
                                            filePath: "/var/lib/dpkg/status", fixedInVersion: "1:1.2.11.dfsg-2+deb11u2")
            let requests = I2.VulnerablePackage(name: "requests", version: "2.25.1", packageManager: .pythonpkg,
                                                filePath: "python/requests-2.25.1.dist-info/METADATA", fixedInVersion: "2.31.0")
            try make("CVE-2023-0286", .high, .active, score: 7.4, resource: host, package: libssl)
            try make("CVE-2022-37434", .critical, .active, score: 9.8, resource: image, package: zlib)
            try make("CVE-2023-0286", .high, .active, score: 7.4, resource: image, package: libssl)
            try make("CVE-2023-32681", .medium, .suppressed, score: 6.1, resource: function, package: requests)
            try make("CVE-2022-37434", .critical, .closed, score: 9.8, resource: host, package: zlib)
            try make("CVE-2022-37434", .critical, .active, score: 9.8,
                     resource: I2.Resource(type: .awsEc2Instance, id: "i-0ffffffffffff0001"), package: zlib, account: other)
            try store.putResources(resources)
            try store.putFindings(findings)
        }
    }
}
