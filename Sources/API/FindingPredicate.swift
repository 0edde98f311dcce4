import Foundation

/// A `FilterCriteria` compiled against the index's findings. How filters combine (the rules
/// Inspector documents for its filter criteria):
/// - the filters of one key are ORed: EQUALS and PREFIX filters pass a finding when any of them
///   matches any of its values for the key (a multi-valued key, such as image tags or related
///   vulnerabilities, passes when one value does); a key with only NOT_EQUALS filters passes
///   everything they do not exclude;
/// - a NOT_EQUALS filter excludes a finding with that value, whatever the key's other filters say;
/// - date and number filters are ranges, inclusive at both ends, either end optional: a finding
///   passes when a value lies in any of the key's ranges (a finding without the value fails);
/// - a map filter (resource tags) passes when a resource has the tag and, if the filter gives a
///   value, with that value; several are ORed;
/// - a package filter passes when one vulnerable package satisfies every part the filter gives;
///   several are ORed;
/// - a port-range filter passes a network finding whose open port range lies inside it;
/// - keys are ANDed.
struct FindingPredicate {
    typealias I2 = Inspector2
    typealias Check = (IndexedFinding) -> Bool
    enum StatusField { case visible, stored }

    private(set) var checks: [Check] = []

    init(_ c: I2.FilterCriteria?, statusField: StatusField = .visible) {
        guard let c else { return }
        func one(_ filters: [I2.StringFilter]?, _ value: @escaping (IndexedFinding) -> String?) {
            guard let test = StringTest(filters) else { return }
            checks.append { test.passes(value($0)) }
        }
        func many(_ filters: [I2.StringFilter]?, _ values: @escaping (IndexedFinding) -> [String]) {
            guard let test = StringTest(filters) else { return }
            checks.append { test.passes(values($0)) }
        }
        func dates(_ filters: [I2.DateFilter]?, _ value: @escaping (IndexedFinding) -> [Double]) {
            guard let filters, !filters.isEmpty else { return }
            let ranges = filters.map { ($0.startInclusive?.timeIntervalSince1970 ?? -.infinity, $0.endInclusive?.timeIntervalSince1970 ?? .infinity) }
            checks.append { f in value(f).contains { d in ranges.contains { d >= $0.0 && d <= $0.1 } } }
        }
        func numbers(_ filters: [I2.NumberFilter]?, _ value: @escaping (IndexedFinding) -> [Double]) {
            guard let filters, !filters.isEmpty else { return }
            let ranges = filters.map { ($0.lowerInclusive ?? -.infinity, $0.upperInclusive ?? .infinity) }
            checks.append { f in value(f).contains { n in ranges.contains { n >= $0.0 && n <= $0.1 } } }
        }
        one(c.findingArn) { $0.arn }
        one(c.awsAccountId) { $0.account }
        one(c.findingType) { $0.type }
        one(c.severity) { $0.severityName }
        switch statusField {
        case .visible: one(c.findingStatus) { $0.statusName }
        case .stored: one(c.findingStatus) { Status.names[Int($0.storedStatus)] }
        }
        one(c.title) { $0.title }
        many(c.resourceType) { $0.subjects.map(\.facts.type) }
        many(c.resourceId) { $0.subjects.map(\.facts.id) }
        one(c.vulnerabilityId) { $0.vulnerabilityId }
        one(c.vulnerabilitySource) { $0.vulnerabilitySource }
        one(c.vendorSeverity) { $0.vendorSeverity }
        many(c.relatedVulnerabilities) { $0.related }
        one(c.fixAvailable) { $0.fixAvailable }
        one(c.exploitAvailable) { $0.exploitAvailable }
        many(c.ecrImageRepositoryName) { $0.subjects.compactMap { $0.image?.repositoryName } }
        many(c.ecrImageRegistry) { $0.subjects.compactMap { $0.image?.registry } }
        many(c.ecrImageTags) { $0.subjects.flatMap(\.imageTags) }
        many(c.ecrImageHash) { $0.subjects.compactMap { $0.image?.imageHash } }
        many(c.ecrImageArchitecture) { $0.subjects.compactMap { $0.image?.architecture } }
        many(c.lambdaFunctionName) { $0.subjects.compactMap { $0.function?.functionName } }
        many(c.lambdaFunctionRuntime) { $0.subjects.compactMap { $0.function?.runtime } }
        many(c.lambdaFunctionLayers) { $0.subjects.flatMap { $0.function?.layers ?? [] } }
        many(c.lambdaFunctionExecutionRoleArn) { $0.subjects.compactMap { $0.function?.executionRoleArn } }
        many(c.ec2InstanceImageId) { $0.subjects.compactMap { $0.instance?.imageId } }
        many(c.ec2InstanceVpcId) { $0.subjects.compactMap { $0.instance?.vpcId } }
        many(c.ec2InstanceSubnetId) { $0.subjects.compactMap { $0.instance?.subnetId } }
        many(c.codeRepositoryProjectName) { $0.subjects.compactMap { $0.codeRepository?.projectName } }
        many(c.codeRepositoryProviderType) { $0.subjects.compactMap { $0.codeRepository?.providerType } }
        one(c.networkProtocol) { $0.networkProtocol }
        // Network reachability components (Inspector's network paths); Vigil does not produce them yet.
        many(c.componentId) { _ in [] }
        many(c.componentType) { _ in [] }
        one(c.codeVulnerabilityDetectorName) { $0.detectorName }
        many(c.codeVulnerabilityDetectorTags) { $0.detectorTags }
        one(c.codeVulnerabilityFilePath) { $0.codeFilePath }
        dates(c.firstObservedAt) { [$0.firstObservedAt] }
        dates(c.lastObservedAt) { [$0.lastObservedAt] }
        dates(c.updatedAt) { $0.updatedAt.map { [$0] } ?? [] }
        dates(c.ecrImagePushedAt) { $0.subjects.compactMap { $0.image?.pushedAt } }
        dates(c.ecrImageLastInUseAt) { $0.subjects.compactMap { $0.image?.lastInUseAt } }
        dates(c.lambdaFunctionLastModifiedAt) { $0.subjects.compactMap { $0.function?.lastModifiedAt } }
        numbers(c.inspectorScore) { $0.inspectorScore.map { [$0] } ?? [] }
        numbers(c.epssScore) { $0.epss.map { [$0] } ?? [] }
        numbers(c.ecrImageInUseCount) { $0.subjects.compactMap { $0.image?.inUseCount } }
        if let filters = c.resourceTags, !filters.isEmpty {
            checks.append { f in
                filters.contains { m in f.subjects.contains { s in s.tagPairs[m.key].map { m.value == nil || $0 == m.value } ?? false } }
            }
        }
        if let filters = c.portRange, !filters.isEmpty {
            checks.append { f in
                guard let range = f.portRange else { return false }
                return filters.contains { r in range.begin >= (r.beginInclusive ?? 0) && range.end <= (r.endInclusive ?? 65535) }
            }
        }
        if let filters = c.vulnerablePackages, !filters.isEmpty {
            let tests = filters.map { p in
                (name: StringTest(p.name.map { [$0] }), version: StringTest(p.version.map { [$0] }),
                 release: StringTest(p.release.map { [$0] }), architecture: StringTest(p.architecture.map { [$0] }),
                 layer: StringTest(p.sourceLayerHash.map { [$0] }), lambdaLayer: StringTest(p.sourceLambdaLayerArn.map { [$0] }),
                 filePath: StringTest(p.filePath.map { [$0] }),
                 epoch: p.epoch.map { ($0.lowerInclusive ?? -.infinity, $0.upperInclusive ?? .infinity) })
            }
            checks.append { f in
                tests.contains { t in
                    f.packages.contains { v in
                        func test(_ test: StringTest?, _ value: String?) -> Bool { test?.passes(value) ?? true }
                        return test(t.name, v.name) && test(t.version, v.version) && test(t.release, v.release) && test(t.architecture, v.arch)
                            && test(t.layer, v.sourceLayerHash) && test(t.lambdaLayer, v.sourceLambdaLayerArn) && test(t.filePath, v.filePath)
                            && (t.epoch.map { e in v.epoch.map { $0 >= e.0 && $0 <= e.1 } ?? false } ?? true)
                    }
                }
            }
        }
    }

    func matches(_ f: IndexedFinding) -> Bool {
        for check in checks where !check(f) { return false }
        return true
    }

}

/// One key's string filters as a test of a finding's values for it.
struct StringTest {
    let excluded: [String]
    let equal: Set<String>
    let prefixes: [String]

    /// nil when there are no filters (the key passes everything).
    init?(_ filters: [Inspector2.StringFilter]?) {
        guard let filters, !filters.isEmpty else { return nil }
        excluded = filters.filter { $0.comparison == .notEquals }.map(\.value)
        equal = Set(filters.filter { $0.comparison == .equals }.map(\.value))
        prefixes = filters.filter { $0.comparison == .prefix }.map(\.value)
    }

    private var includes: Bool { !equal.isEmpty || !prefixes.isEmpty }

    private func included(_ v: String) -> Bool { equal.contains(v) || prefixes.contains { v.hasPrefix($0) } }

    func passes(_ value: String?) -> Bool {
        guard let value else { return !includes }
        if excluded.contains(value) { return false }
        return !includes || included(value)
    }

    func passes(_ values: [String]) -> Bool {
        for value in values where excluded.contains(value) { return false }
        return !includes || values.contains(where: included)
    }
}
