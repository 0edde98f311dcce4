import Foundation

/// inspector2's `Finding` and the shapes inside it, with botocore's member names (model 2020-06-08);
/// timestamps are epoch seconds, as rest-json writes them. Optional members are left out when nil.
public struct Finding: Codable, Hashable, Sendable {
    public var findingArn: String
    public var awsAccountId: String
    public var type: String = "PACKAGE_VULNERABILITY"
    public var description: String
    public var title: String?
    public var remediation: Remediation
    public var severity: String
    public var firstObservedAt: Double
    public var lastObservedAt: Double
    public var updatedAt: Double?
    public var status: String = "ACTIVE"
    public var resources: [Resource]
    public var inspectorScore: Double?
    public var inspectorScoreDetails: InspectorScoreDetails?
    public var packageVulnerabilityDetails: PackageVulnerabilityDetails?
    public var fixAvailable: String?
    public var exploitAvailable: String?
    public var exploitabilityDetails: ExploitabilityDetails?
    public var epss: EpssDetails?
}

public struct Remediation: Codable, Hashable, Sendable {
    public var recommendation: Recommendation?
}

public struct Recommendation: Codable, Hashable, Sendable {
    public var text: String?
    public var Url: String?
}

public struct Resource: Codable, Hashable, Sendable {
    public var type: String
    public var id: String
    public var partition: String?
    public var region: String?
    public var tags: [String: String]?
    public var details: ResourceDetails?

    public init(type: String, id: String, partition: String? = nil, region: String? = nil, tags: [String: String]? = nil, details: ResourceDetails? = nil) {
        self.type = type
        self.id = id
        self.partition = partition
        self.region = region
        self.tags = tags
        self.details = details
    }
}

public struct ResourceDetails: Codable, Hashable, Sendable {
    public var awsEcrContainerImage: AwsEcrContainerImageDetails?
    public var awsEc2Instance: AwsEc2InstanceDetails?
    public var awsLambdaFunction: AwsLambdaFunctionDetails?

    public init(awsEcrContainerImage: AwsEcrContainerImageDetails? = nil, awsEc2Instance: AwsEc2InstanceDetails? = nil, awsLambdaFunction: AwsLambdaFunctionDetails? = nil) {
        self.awsEcrContainerImage = awsEcrContainerImage
        self.awsEc2Instance = awsEc2Instance
        self.awsLambdaFunction = awsLambdaFunction
    }
}

public struct AwsEcrContainerImageDetails: Codable, Hashable, Sendable {
    public var repositoryName: String
    public var imageTags: [String]?
    public var pushedAt: Double?
    public var author: String?
    public var architecture: String?
    public var imageHash: String
    public var registry: String
    public var platform: String?

    public init(repositoryName: String, imageTags: [String]? = nil, pushedAt: Double? = nil, author: String? = nil, architecture: String? = nil,
                imageHash: String, registry: String, platform: String? = nil) {
        self.repositoryName = repositoryName
        self.imageTags = imageTags
        self.pushedAt = pushedAt
        self.author = author
        self.architecture = architecture
        self.imageHash = imageHash
        self.registry = registry
        self.platform = platform
    }
}

public struct AwsEc2InstanceDetails: Codable, Hashable, Sendable {
    public var type: String?
    public var imageId: String?
    public var ipV4Addresses: [String]?
    public var ipV6Addresses: [String]?
    public var platform: String?
    public var launchedAt: Double?

    public init(type: String? = nil, imageId: String? = nil, ipV4Addresses: [String]? = nil, ipV6Addresses: [String]? = nil,
                platform: String? = nil, launchedAt: Double? = nil) {
        self.type = type
        self.imageId = imageId
        self.ipV4Addresses = ipV4Addresses
        self.ipV6Addresses = ipV6Addresses
        self.platform = platform
        self.launchedAt = launchedAt
    }
}

public struct AwsLambdaFunctionDetails: Codable, Hashable, Sendable {
    public var functionName: String
    public var runtime: String
    public var codeSha256: String
    public var version: String
    public var executionRoleArn: String
    public var layers: [String]?
    public var lastModifiedAt: Double?

    public init(functionName: String, runtime: String, codeSha256: String, version: String, executionRoleArn: String,
                layers: [String]? = nil, lastModifiedAt: Double? = nil) {
        self.functionName = functionName
        self.runtime = runtime
        self.codeSha256 = codeSha256
        self.version = version
        self.executionRoleArn = executionRoleArn
        self.layers = layers
        self.lastModifiedAt = lastModifiedAt
    }
}

public struct PackageVulnerabilityDetails: Codable, Hashable, Sendable {
    public var vulnerabilityId: String
    public var vulnerablePackages: [VulnerablePackage]?
    public var source: String
    public var cvss: [CvssScore]?
    public var relatedVulnerabilities: [String]?
    public var sourceUrl: String?
    public var vendorSeverity: String?
    public var vendorCreatedAt: Double?
    public var vendorUpdatedAt: Double?
    public var referenceUrls: [String]?
}

public struct VulnerablePackage: Codable, Hashable, Sendable {
    public var name: String
    public var version: String
    public var sourceLayerHash: String?
    public var epoch: Int?
    public var release: String?
    public var arch: String?
    public var packageManager: String?
    public var filePath: String?
    public var fixedInVersion: String?
    public var remediation: String?
    public var sourceLambdaLayerArn: String?
}

public struct CvssScore: Codable, Hashable, Sendable {
    public var baseScore: Double
    public var scoringVector: String
    public var version: String
    public var source: String
}

public struct InspectorScoreDetails: Codable, Hashable, Sendable {
    public var adjustedCvss: CvssScoreDetails?
}

public struct CvssScoreDetails: Codable, Hashable, Sendable {
    public var scoreSource: String
    public var cvssSource: String?
    public var version: String
    public var score: Double
    public var scoringVector: String
    public var adjustments: [CvssScoreAdjustment]?
}

public struct CvssScoreAdjustment: Codable, Hashable, Sendable {
    public var metric: String
    public var reason: String
}

public struct ExploitabilityDetails: Codable, Hashable, Sendable {
    public var lastKnownExploitAt: Double?
}

public struct EpssDetails: Codable, Hashable, Sendable {
    public var score: Double?
}
