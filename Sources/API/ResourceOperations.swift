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
            StringTest(filters?.map { ($0.comparison.rawValue, $0.value) })?.passes(values) ?? true
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
}
