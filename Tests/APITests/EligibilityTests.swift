import Findings
import Foundation
import Inventory
import Logging
import Service
import Storage
import Testing
import TestSupport
import VigilCore

/// Scan eligibility as Inspector bounds it: an image stays under watch for the account's ECR
/// `rescanDuration` after its push, a function for 90 days after its last update; then its findings
/// close and its coverage says INACTIVE / SCAN_ELIGIBILITY_EXPIRED. Driven through the service
/// directly, with the push and update times set in the past.
struct EligibilityTests {
    static let (account, region) = ("111122223333", "us-east-1")
    static let day = 86_400.0

    static func service(_ data: ScratchDirectory) throws -> ScanService {
        let store = try ServiceStore(dataDirectory: data.url)
        try store.setStatus(account: account, region: region, resourceTypes: ["ECR", "LAMBDA"], status: "ENABLED")
        var logger = Logger(label: "vigil-test")
        logger.logLevel = .critical
        return ScanService(store: store, dataDirectory: data.url, logger: logger)
    }

    static func image(_ n: Int, pushedAt: Double) -> ResourceRecord {
        let digest = "sha256:" + String(repeating: String(format: "%02x", n), count: 32)
        let arn = "arn:aws:ecr:\(region):\(account):repository/shop/web/\(digest)"
        return ResourceRecord(inventory: Inventory(operatingSystem: nil, packages: []),
                              resource: Resource(type: "AWS_ECR_CONTAINER_IMAGE", id: arn, partition: "aws", region: region, details: ResourceDetails(
                                  awsEcrContainerImage: AwsEcrContainerImageDetails(repositoryName: "shop/web", pushedAt: pushedAt, imageHash: digest, registry: "shop"))),
                              coverageType: "AWS_ECR_CONTAINER_IMAGE")
    }

    static func function(_ name: String, lastModifiedAt: Double) -> ResourceRecord {
        let arn = "arn:aws:lambda:\(region):\(account):function:\(name):1"
        return ResourceRecord(inventory: Inventory(operatingSystem: nil, packages: []),
                              resource: Resource(type: "AWS_LAMBDA_FUNCTION", id: arn, partition: "aws", region: region, details: ResourceDetails(
                                  awsLambdaFunction: AwsLambdaFunctionDetails(functionName: name, runtime: "PYTHON_3_12", codeSha256: "", version: "1",
                                                                              executionRoleArn: "arn:aws:iam::\(account):role/fn", lastModifiedAt: lastModifiedAt))),
                              coverageType: "AWS_LAMBDA_FUNCTION")
    }

    /// statusCode/reason of a resource's coverage after its evaluation.
    static func status(_ service: ScanService, _ record: ResourceRecord) throws -> String {
        try service.submit(record, account: account, region: region)
        try service.evaluate(account: account, region: region, resourceID: record.resource.id)
        let document = try #require(try service.store.resource(account: account, region: region, resourceID: record.resource.id)?.document)
        let scan = (try JSONSerialization.jsonObject(with: Data(document.utf8)) as? [String: Any])?["scanStatus"] as? [String: String]
        return "\(scan?["statusCode"] ?? "-")/\(scan?["reason"] ?? "-")"
    }

    @Test func imagesExpireAfterTheRescanDuration() throws {
        let data = try ScratchDirectory()
        let service = try Self.service(data)
        let now = Date().timeIntervalSince1970
        // LIFETIME (the default): an image pushed a year ago is still watched (no advisory data: pending).
        #expect(try Self.status(service, Self.image(1, pushedAt: now - 365 * Self.day)) == "ACTIVE/PENDING_INITIAL_SCAN")
        try service.store.setSetting(account: Self.account, region: Self.region, name: "ecrConfiguration",
                                     value: #"{"pullDateRescanDuration":"DAYS_90","rescanDuration":"DAYS_14"}"#)
        #expect(try Self.status(service, Self.image(2, pushedAt: now - 20 * Self.day)) == "INACTIVE/SCAN_ELIGIBILITY_EXPIRED")
        #expect(try Self.status(service, Self.image(3, pushedAt: now - 10 * Self.day)) == "ACTIVE/PENDING_INITIAL_SCAN")
        // Pulled (the registry's pull notification) 5 days ago: watched for DAYS_30 after that pull.
        try service.store.setSetting(account: Self.account, region: Self.region, name: "ecrConfiguration",
                                     value: #"{"pullDateRescanDuration":"DAYS_30","rescanDuration":"DAYS_14"}"#)
        let token = try service.addRegistry(.init(name: "shop", url: "http://127.0.0.1:1", insecure: true, username: nil, password: nil, include: nil, exclude: nil),
                                            account: Self.account, region: Self.region)
        let pulled = Self.image(4, pushedAt: now - 40 * Self.day)
        let digest = pulled.resource.details?.awsEcrContainerImage?.imageHash ?? ""
        let pull = #"{"events": [{"action": "pull", "target": {"mediaType": "application/vnd.oci.image.manifest.v1+json", "repository": "shop/web", "digest": "\#(digest)"}}]}"#
        #expect(try Self.status(service, pulled) == "INACTIVE/SCAN_ELIGIBILITY_EXPIRED")
        #expect(try service.registryEvent(name: "shop", bearer: token, body: Data(pull.utf8)) == 0)
        #expect(try Self.status(service, pulled) == "ACTIVE/PENDING_INITIAL_SCAN")
        // The same image re-evaluated once the configuration is LIFETIME again: back under watch.
        try service.store.setSetting(account: Self.account, region: Self.region, name: "ecrConfiguration", value: #"{"rescanDuration":"LIFETIME"}"#)
        #expect(try Self.status(service, Self.image(2, pushedAt: now - 20 * Self.day)) == "ACTIVE/PENDING_INITIAL_SCAN")
    }

    @Test func functionsExpireNinetyDaysAfterTheirLastUpdate() throws {
        let data = try ScratchDirectory()
        let service = try Self.service(data)
        let now = Date().timeIntervalSince1970
        #expect(try Self.status(service, Self.function("old", lastModifiedAt: now - 91 * Self.day)) == "INACTIVE/SCAN_ELIGIBILITY_EXPIRED")
        #expect(try Self.status(service, Self.function("recent", lastModifiedAt: now - 89 * Self.day)) == "ACTIVE/PENDING_INITIAL_SCAN")
    }
}
