import Foundation
import Storage

/// ListCoverage, ListCoverageStatistics and ListFindings over the resources and findings in the
/// store, with the models' filter semantics: filters of one key are ORed (EQUALS and PREFIX any of
/// them), NOT_EQUALS filters exclude, and keys are ANDed. Every request sees only the caller's own
/// account in the region of its credential scope.
extension Operations {
    typealias I2 = Inspector2

    static func decode<T: Decodable>(_ type: T.Type, _ input: [String: Any]) throws(AWSError) -> T {
        do {
            let data = try JSONSerialization.data(withJSONObject: input)
            let decoder = JSONDecoder()
            decoder.dateDecodingStrategy = .secondsSince1970
            return try decoder.decode(type, from: data)
        } catch {
            throw AWSError.validation("Could not read the request: \(error)", reason: "CANNOT_PARSE")
        }
    }

    static func encode<T: Encodable>(_ value: T) throws(AWSError) -> Data {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        do { return try encoder.encode(value) } catch { throw AWSError.internal("response not encodable: \(error)") }
    }

    // MARK: Coverage

    func coveredResources(_ call: Call) throws -> [I2.CoveredResource] {
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        let silent = try service?.silentHosts(account: call.principal.accountID, region: call.region) ?? []
        return try store.resources(account: call.principal.accountID, region: call.region).map {
            var resource = try decoder.decode(I2.CoveredResource.self, from: Data($0.document.utf8))
            // A host whose agent stopped sending heartbeats is no longer managed.
            if silent.contains(resource.resourceId), resource.scanStatus?.statusCode == .active {
                resource.scanStatus = .init(statusCode: .inactive, reason: .unmanagedEc2Instance)
            }
            return resource
        }
    }

    func listCoverage(_ call: Call, _ input: [String: Any]) throws -> Data {
        let request = try Self.decode(I2.ListCoverageRequest.self, input)
        let matching = try coveredResources(call).filter { Self.matches($0, request.filterCriteria) }
        let (page, next) = try Self.page(matching, after: request.nextToken, size: request.maxResults ?? 100)
        return try Self.encode(I2.ListCoverageResponse(nextToken: next, coveredResources: page))
    }

    /// Counts per group. `groupKey` carries the group's value (`ACTIVE`, `AWS_EC2_INSTANCE`, a
    /// repository name, …), which is what a caller grouping by a key needs, though the model types the
    /// member as the key's enum.
    func listCoverageStatistics(_ call: Call, _ input: [String: Any]) throws -> Data {
        let request = try Self.decode(I2.ListCoverageStatisticsRequest.self, input)
        let matching = try coveredResources(call).filter { Self.matches($0, request.filterCriteria) }
        struct Count: Encodable { var count: Int64; var groupKey: String }
        struct Output: Encodable { var countsByGroup: [Count]?; var totalCounts: Int64; var nextToken: String? }
        guard let key = request.groupBy else {
            return try Self.encode(Output(countsByGroup: nil, totalCounts: Int64(matching.count), nextToken: nil))
        }
        var counts: [String: Int64] = [:]
        for resource in matching {
            let value: String? = switch key {
            case .scanStatusCode: resource.scanStatus?.statusCode.rawValue
            case .scanStatusReason: resource.scanStatus?.reason.rawValue
            case .accountId: resource.accountId
            case .resourceType: resource.resourceType.rawValue
            case .ecrRepositoryName: resource.resourceMetadata?.ecrRepository?.name
            }
            if let value { counts[value, default: 0] += 1 }
        }
        let groups = counts.keys.sorted().map { Count(count: counts[$0]!, groupKey: $0) }
        let (page, next) = try Self.page(groups, after: request.nextToken, size: 100)
        return try Self.encode(Output(countsByGroup: page, totalCounts: Int64(matching.count), nextToken: next))
    }

    static func matches(_ r: I2.CoveredResource, _ criteria: I2.CoverageFilterCriteria?) -> Bool {
        guard let c = criteria else { return true }
        let metadata = r.resourceMetadata
        func strings(_ filters: [I2.CoverageStringFilter]?, _ values: [String]) -> Bool {
            keyMatches(filters?.map { ($0.comparison == .equals ? "EQUALS" : "NOT_EQUALS", $0.value) }, values)
        }
        func tags(_ filters: [I2.CoverageMapFilter]?, _ tags: [String: String]?) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            return filters.contains { f in tags?[f.key].map { f.value == nil || $0 == f.value } ?? false }
        }
        func dates(_ filters: [I2.CoverageDateFilter]?, _ date: Date?) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            guard let date else { return false }
            return filters.contains { f in (f.startInclusive.map { date >= $0 } ?? true) && (f.endInclusive.map { date <= $0 } ?? true) }
        }
        let inUse: Bool = {
            guard let filters = c.ecrImageInUseCount, !filters.isEmpty else { return true }
            guard let count = metadata?.ecrImage?.inUseCount else { return false }
            return filters.contains { f in (f.lowerInclusive.map { count >= $0 } ?? true) && (f.upperInclusive.map { count <= $0 } ?? true) }
        }()
        return inUse
            && strings(c.scanStatusCode, r.scanStatus.map { [$0.statusCode.rawValue] } ?? [])
            && strings(c.scanStatusReason, r.scanStatus.map { [$0.reason.rawValue] } ?? [])
            && strings(c.accountId, [r.accountId])
            && strings(c.resourceId, [r.resourceId])
            && strings(c.resourceType, [r.resourceType.rawValue])
            && strings(c.scanType, [r.scanType.rawValue])
            && strings(c.scanMode, r.scanMode.map { [$0.rawValue] } ?? [])
            && strings(c.ecrRepositoryName, metadata?.ecrRepository?.name.map { [$0] } ?? [])
            && strings(c.ecrImageTags, metadata?.ecrImage?.tags ?? [])
            && strings(c.lambdaFunctionName, metadata?.lambdaFunction?.functionName.map { [$0] } ?? [])
            && strings(c.lambdaFunctionRuntime, metadata?.lambdaFunction?.runtime.map { [$0.rawValue] } ?? [])
            && strings(c.codeRepositoryProjectName, metadata?.codeRepository.map { [$0.projectName] } ?? [])
            && strings(c.codeRepositoryProviderType, metadata?.codeRepository.map { [$0.providerType] } ?? [])
            && strings(c.codeRepositoryProviderTypeVisibility, metadata?.codeRepository.map { [$0.providerTypeVisibility] } ?? [])
            && strings(c.lastScannedCommitId, metadata?.codeRepository?.lastScannedCommitId.map { [$0] } ?? [])
            && tags(c.ec2InstanceTags, metadata?.ec2?.tags)
            && tags(c.lambdaFunctionTags, metadata?.lambdaFunction?.functionTags)
            && dates(c.lastScannedAt, r.lastScannedAt)
            && dates(c.imagePulledAt, metadata?.ecrImage?.imagePulledAt)
            && dates(c.ecrImageLastInUseAt, metadata?.ecrImage?.lastInUseAt)
    }

    /// One key's string filters against the resource's values for it (a multi-valued key, such as
    /// image tags, passes when any value does): EQUALS and PREFIX filters are ORed, NOT_EQUALS
    /// filters exclude; no filters pass everything.
    static func keyMatches(_ filters: [(comparison: String, value: String)]?, _ values: [String]) -> Bool {
        guard let filters, !filters.isEmpty else { return true }
        let including = filters.filter { $0.comparison != "NOT_EQUALS" }
        let excluding = filters.filter { $0.comparison == "NOT_EQUALS" }
        if excluding.contains(where: { f in values.contains(f.value) }) { return false }
        if including.isEmpty { return true }
        return including.contains { f in values.contains { f.comparison == "PREFIX" ? $0.hasPrefix(f.value) : $0 == f.value } }
    }

    // MARK: Findings

    /// ListFindings over the caller's findings. Supported filter keys are listed in
    /// `findingFilterKeys`; any other key is refused with a ValidationException naming it, never
    /// silently ignored.
    func listFindings(_ call: Call, _ input: [String: Any]) throws -> Data {
        let request = try Self.decode(I2.ListFindingsRequest.self, input)
        if let criteria = input["filterCriteria"] as? [String: Any] {
            for key in criteria.keys.sorted() where !Self.findingFilterKeys.contains(key) {
                throw AWSError.validation("The filter key \(key) is not supported by this Vigil server yet", fields: [["name": "filterCriteria.\(key)", "message": "Not supported yet"]])
            }
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .secondsSince1970
        var findings = try store.findings(account: call.principal.accountID, region: call.region).map { stored in
            var finding = try decoder.decode(I2.Finding.self, from: Data(stored.document.utf8))
            // An unchanged finding's last observation is kept beside its document.
            if let last = stored.lastObservedAt { finding.lastObservedAt = Date(timeIntervalSince1970: last) }
            return finding
        }.filter { Self.matches($0, request.filterCriteria) }
        try Self.sort(&findings, by: request.sortCriteria)
        let (page, next) = try Self.page(findings, after: request.nextToken, size: request.maxResults ?? 100)
        return try Self.encode(I2.ListFindingsResponse(nextToken: next, findings: page))
    }

    static let findingFilterKeys: Set<String> = [
        "findingArn", "awsAccountId", "findingType", "severity", "findingStatus", "title", "resourceType", "resourceId",
        "vulnerabilityId", "vulnerabilitySource", "vendorSeverity", "relatedVulnerabilities", "fixAvailable", "exploitAvailable",
        "ecrImageRepositoryName", "ecrImageRegistry", "ecrImageTags", "ecrImageHash", "ecrImageArchitecture",
        "lambdaFunctionName", "lambdaFunctionRuntime", "lambdaFunctionLayers", "lambdaFunctionExecutionRoleArn",
        "ec2InstanceImageId", "ec2InstanceVpcId", "ec2InstanceSubnetId", "componentId", "componentType",
        "firstObservedAt", "lastObservedAt", "updatedAt", "ecrImagePushedAt", "lambdaFunctionLastModifiedAt", "ecrImageLastInUseAt",
        "inspectorScore", "epssScore", "ecrImageInUseCount", "resourceTags", "vulnerablePackages",
    ]

    static func matches(_ f: I2.Finding, _ criteria: I2.FilterCriteria?) -> Bool {
        guard let c = criteria else { return true }
        let details = f.resources.compactMap(\.details)
        let images = details.compactMap(\.awsEcrContainerImage)
        let functions = details.compactMap(\.awsLambdaFunction)
        let instances = details.compactMap(\.awsEc2Instance)
        let vulnerability = f.packageVulnerabilityDetails
        func strings(_ filters: [I2.StringFilter]?, _ values: [String]) -> Bool {
            keyMatches(filters?.map { ($0.comparison.rawValue, $0.value) }, values)
        }
        func dates(_ filters: [I2.DateFilter]?, _ values: [Date]) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            return filters.contains { r in values.contains { d in (r.startInclusive.map { d >= $0 } ?? true) && (r.endInclusive.map { d <= $0 } ?? true) } }
        }
        func numbers(_ filters: [I2.NumberFilter]?, _ values: [Double]) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            return filters.contains { r in values.contains { n in (r.lowerInclusive.map { n >= $0 } ?? true) && (r.upperInclusive.map { n <= $0 } ?? true) } }
        }
        func tags(_ filters: [I2.MapFilter]?) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            return filters.contains { m in f.resources.contains { r in r.tags?[m.key].map { m.value == nil || $0 == m.value } ?? false } }
        }
        func packages(_ filters: [I2.PackageFilter]?) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            let list = vulnerability?.vulnerablePackages ?? []
            return filters.contains { p in
                list.contains { v in
                    strings(p.name.map { [$0] }, [v.name]) && strings(p.version.map { [$0] }, [v.version])
                        && strings(p.release.map { [$0] }, v.release.map { [$0] } ?? []) && strings(p.architecture.map { [$0] }, v.arch.map { [$0] } ?? [])
                        && strings(p.sourceLayerHash.map { [$0] }, v.sourceLayerHash.map { [$0] } ?? [])
                        && strings(p.sourceLambdaLayerArn.map { [$0] }, v.sourceLambdaLayerArn.map { [$0] } ?? [])
                        && strings(p.filePath.map { [$0] }, v.filePath.map { [$0] } ?? [])
                        && numbers(p.epoch.map { [$0] }, v.epoch.map { [Double($0)] } ?? [])
                }
            }
        }
        return strings(c.findingArn, [f.findingArn]) && strings(c.awsAccountId, [f.awsAccountId])
            && strings(c.findingType, [f.type.rawValue]) && strings(c.severity, [f.severity.rawValue])
            && strings(c.findingStatus, [f.status.rawValue]) && strings(c.title, f.title.map { [$0] } ?? [])
            && strings(c.resourceType, f.resources.map(\.type.rawValue)) && strings(c.resourceId, f.resources.map(\.id))
            && strings(c.vulnerabilityId, vulnerability.map { [$0.vulnerabilityId] } ?? [])
            && strings(c.vulnerabilitySource, vulnerability.map { [$0.source] } ?? [])
            && strings(c.vendorSeverity, vulnerability?.vendorSeverity.map { [$0] } ?? [])
            && strings(c.relatedVulnerabilities, vulnerability?.relatedVulnerabilities ?? [])
            && strings(c.fixAvailable, f.fixAvailable.map { [$0.rawValue] } ?? [])
            && strings(c.exploitAvailable, f.exploitAvailable.map { [$0.rawValue] } ?? [])
            && strings(c.ecrImageRepositoryName, images.map(\.repositoryName)) && strings(c.ecrImageRegistry, images.map(\.registry))
            && strings(c.ecrImageTags, images.flatMap { $0.imageTags ?? [] }) && strings(c.ecrImageHash, images.map(\.imageHash))
            && strings(c.ecrImageArchitecture, images.compactMap(\.architecture))
            && strings(c.lambdaFunctionName, functions.map(\.functionName)) && strings(c.lambdaFunctionRuntime, functions.map(\.runtime.rawValue))
            && strings(c.lambdaFunctionLayers, functions.flatMap { $0.layers ?? [] })
            && strings(c.lambdaFunctionExecutionRoleArn, functions.map(\.executionRoleArn))
            && strings(c.ec2InstanceImageId, instances.compactMap(\.imageId)) && strings(c.ec2InstanceVpcId, instances.compactMap(\.vpcId))
            && strings(c.ec2InstanceSubnetId, instances.compactMap(\.subnetId))
            && strings(c.componentId, []) && strings(c.componentType, [])
            && dates(c.firstObservedAt, [f.firstObservedAt]) && dates(c.lastObservedAt, [f.lastObservedAt])
            && dates(c.updatedAt, f.updatedAt.map { [$0] } ?? []) && dates(c.ecrImagePushedAt, images.compactMap(\.pushedAt))
            && dates(c.lambdaFunctionLastModifiedAt, functions.compactMap(\.lastModifiedAt)) && dates(c.ecrImageLastInUseAt, images.compactMap(\.lastInUseAt))
            && numbers(c.inspectorScore, f.inspectorScore.map { [$0] } ?? []) && numbers(c.epssScore, f.epss?.score.map { [$0] } ?? [])
            && numbers(c.ecrImageInUseCount, images.compactMap(\.inUseCount).map(Double.init))
            && tags(c.resourceTags) && packages(c.vulnerablePackages)
    }

    static let severityRank: [String: Int] = ["INFORMATIONAL": 0, "LOW": 1, "MEDIUM": 2, "HIGH": 3, "CRITICAL": 4, "UNTRIAGED": -1]

    /// Sorts by the requested field (severity by rank, not by name), then by ARN for a stable order;
    /// without sort criteria, most severe first.
    static func sort(_ findings: inout [I2.Finding], by criteria: I2.SortCriteria?) throws {
        let field = criteria?.field ?? .severity
        let descending = criteria.map { $0.sortOrder == .desc } ?? true
        enum Key: Comparable { case number(Double), text(String) }
        func key(_ f: I2.Finding) -> Key? {
            let image = f.resources.lazy.compactMap { $0.details?.awsEcrContainerImage }.first
            switch field {
            case .awsAccountId: return .text(f.awsAccountId)
            case .findingType: return .text(f.type.rawValue)
            case .severity: return .number(Double(severityRank[f.severity.rawValue] ?? -1))
            case .firstObservedAt: return .number(f.firstObservedAt.timeIntervalSince1970)
            case .lastObservedAt: return .number(f.lastObservedAt.timeIntervalSince1970)
            case .findingStatus: return .text(f.status.rawValue)
            case .resourceType: return f.resources.first.map { .text($0.type.rawValue) }
            case .ecrImagePushedAt: return image?.pushedAt.map { .number($0.timeIntervalSince1970) }
            case .ecrImageRepositoryName: return image.map { .text($0.repositoryName) }
            case .ecrImageRegistry: return image.map { .text($0.registry) }
            case .vulnerabilityId: return f.packageVulnerabilityDetails.map { .text($0.vulnerabilityId) }
            case .vulnerabilitySource: return f.packageVulnerabilityDetails.map { .text($0.source) }
            case .inspectorScore: return f.inspectorScore.map { .number($0) }
            case .vendorSeverity: return f.packageVulnerabilityDetails?.vendorSeverity.map { .text($0) }
            case .epssScore: return f.epss?.score.map { .number($0) }
            case .networkProtocol, .componentType: return nil
            }
        }
        let keyed = findings.map { (key($0), $0) }
        findings = keyed.sorted { a, b in
            switch (a.0, b.0) {
            case let (x?, y?) where x != y: return descending ? x > y : x < y
            case (nil, _?): return false
            case (_?, nil): return true
            default: return a.1.findingArn < b.1.findingArn
            }
        }.map(\.1)
    }
}
