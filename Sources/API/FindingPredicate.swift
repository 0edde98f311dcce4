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
        /// One value per resource (the finding's subjects), tested without building a list for the usual single resource.
        func each(_ filters: [I2.StringFilter]?, _ value: @escaping (Subject) -> String?) {
            guard let test = StringTest(filters) else { return }
            checks.append { f in f.subjects.count == 1 ? test.passes(value(f.subjects[0])) : test.passes(f.subjects.compactMap(value)) }
        }
        func within(_ ranges: [(Double, Double)], _ value: Double?) -> Bool {
            guard let value else { return false }
            for r in ranges where value >= r.0 && value <= r.1 { return true }
            return false
        }
        func dateRanges(_ filters: [I2.DateFilter]?) -> [(Double, Double)]? {
            guard let filters, !filters.isEmpty else { return nil }
            return filters.map { ($0.startInclusive?.timeIntervalSince1970 ?? -.infinity, $0.endInclusive?.timeIntervalSince1970 ?? .infinity) }
        }
        func numberRanges(_ filters: [I2.NumberFilter]?) -> [(Double, Double)]? {
            guard let filters, !filters.isEmpty else { return nil }
            return filters.map { ($0.lowerInclusive ?? -.infinity, $0.upperInclusive ?? .infinity) }
        }
        func range(_ ranges: [(Double, Double)]?, _ value: @escaping (IndexedFinding) -> Double?) {
            guard let ranges else { return }
            checks.append { within(ranges, value($0)) }
        }
        func rangeEach(_ ranges: [(Double, Double)]?, _ value: @escaping (Subject) -> Double?) {
            guard let ranges else { return }
            checks.append { f in f.subjects.contains { within(ranges, value($0)) } }
        }
        /// A key with few values: compared by code when its filters are EQUALS and NOT_EQUALS only.
        func coded(_ filters: [I2.StringFilter]?, _ vocabulary: Vocabulary, _ code: @escaping (IndexedFinding) -> UInt8,
                   _ value: @escaping (IndexedFinding) -> String?) {
            guard let test = StringTest(filters) else { return }
            guard test.prefixes.isEmpty else { return checks.append { test.passes(value($0)) } }
            let passing = [test.passes(nil as String?)] + vocabulary.names.map { test.passes($0) }
            checks.append { f in
                let c = code(f)
                return c == Vocabulary.other ? test.passes(value(f)) : passing[Int(c)]
            }
        }
        func codedEach(_ filters: [I2.StringFilter]?, _ vocabulary: Vocabulary, _ code: @escaping (Subject) -> UInt8, _ value: @escaping (Subject) -> String?) {
            guard let test = StringTest(filters) else { return }
            guard test.prefixes.isEmpty else { return each(filters, value) }
            let passing = [test.passes(nil as String?)] + vocabulary.names.map { test.passes($0) }
            checks.append { f in
                guard f.subjects.count == 1 else { return test.passes(f.subjects.compactMap(value)) }
                let c = code(f.subjects[0])
                return c == Vocabulary.other ? test.passes(value(f.subjects[0])) : passing[Int(c)]
            }
        }
        one(c.findingArn) { $0.arn }
        one(c.awsAccountId) { $0.account }
        coded(c.findingType, .findingTypes, { $0.typeCode }, { $0.type })
        // Severities and statuses are always present: their code 0 is a value (UNTRIAGED, ACTIVE).
        coded(c.severity, Vocabulary(SeverityRank.names), { $0.severity + 1 }, { $0.severityName })
        switch statusField {
        case .visible: coded(c.findingStatus, Vocabulary(Status.names), { $0.status + 1 }, { $0.statusName })
        case .stored: coded(c.findingStatus, Vocabulary(Status.names), { $0.storedStatus + 1 }, { Status.names[Int($0.storedStatus)] })
        }
        one(c.title) { $0.title }
        codedEach(c.resourceType, .resourceTypes, { $0.typeCode }, { $0.type })
        each(c.resourceId) { $0.id }
        one(c.vulnerabilityId) { $0.vulnerabilityId }
        one(c.vulnerabilitySource) { $0.vulnerabilitySource }
        one(c.vendorSeverity) { $0.vendorSeverity }
        many(c.relatedVulnerabilities) { $0.related }
        coded(c.fixAvailable, .availability, { $0.fixCode }, { $0.fixAvailable })
        coded(c.exploitAvailable, .availability, { $0.exploitCode }, { $0.exploitAvailable })
        each(c.ecrImageRepositoryName) { $0.repositoryName }
        each(c.ecrImageRegistry) { $0.registry }
        many(c.ecrImageTags) { $0.subjects.count == 1 ? $0.subjects[0].imageTags : $0.subjects.flatMap(\.imageTags) }
        each(c.ecrImageHash) { $0.imageHash }
        each(c.ecrImageArchitecture) { $0.architecture }
        each(c.lambdaFunctionName) { $0.functionName }
        each(c.lambdaFunctionRuntime) { $0.runtime }
        many(c.lambdaFunctionLayers) { $0.subjects.count == 1 ? $0.subjects[0].layers : $0.subjects.flatMap(\.layers) }
        each(c.lambdaFunctionExecutionRoleArn) { $0.executionRoleArn }
        each(c.ec2InstanceImageId) { $0.imageId }
        each(c.ec2InstanceVpcId) { $0.vpcId }
        each(c.ec2InstanceSubnetId) { $0.subnetId }
        each(c.codeRepositoryProjectName) { $0.codeRepository?.projectName }
        each(c.codeRepositoryProviderType) { $0.codeRepository?.providerType }
        one(c.networkProtocol) { $0.networkProtocol }
        // Network reachability components (Inspector's network paths); Vigil does not produce them yet.
        many(c.componentId) { _ in [] }
        many(c.componentType) { _ in [] }
        one(c.codeVulnerabilityDetectorName) { $0.detectorName }
        many(c.codeVulnerabilityDetectorTags) { $0.detectorTags }
        one(c.codeVulnerabilityFilePath) { $0.codeFilePath }
        range(dateRanges(c.firstObservedAt)) { $0.firstObservedAt }
        range(dateRanges(c.lastObservedAt)) { $0.lastObservedAt }
        range(dateRanges(c.updatedAt)) { $0.updatedAt }
        rangeEach(dateRanges(c.ecrImagePushedAt)) { $0.pushedAt }
        rangeEach(dateRanges(c.ecrImageLastInUseAt)) { $0.lastInUseAt }
        rangeEach(dateRanges(c.lambdaFunctionLastModifiedAt)) { $0.lastModifiedAt }
        range(numberRanges(c.inspectorScore)) { $0.inspectorScore }
        range(numberRanges(c.epssScore)) { $0.epss }
        rangeEach(numberRanges(c.ecrImageInUseCount)) { $0.inUseCount }
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
    /// Values to equal: a list while short (comparing a few strings costs less than hashing one).
    let equal: Set<String>
    let equalList: [String]?
    let prefixes: [String]

    /// nil when there are no filters (the key passes everything).
    init?(_ filters: [Inspector2.StringFilter]?) {
        self.init(filters?.map { ($0.comparison.rawValue, $0.value) })
    }

    /// Filters as (comparison, value): also coverage's filters, which allow EQUALS and NOT_EQUALS.
    init?(_ filters: [(comparison: String, value: String)]?) {
        guard let filters, !filters.isEmpty else { return nil }
        excluded = filters.filter { $0.comparison == "NOT_EQUALS" }.map(\.value)
        equal = Set(filters.filter { $0.comparison == "EQUALS" }.map(\.value))
        equalList = equal.count <= 8 ? Array(equal) : nil
        prefixes = filters.filter { $0.comparison == "PREFIX" }.map(\.value)
    }

    private var includes: Bool { !equal.isEmpty || !prefixes.isEmpty }

    private func included(_ v: String) -> Bool {
        if let equalList { if equalList.contains(v) { return true } } else if equal.contains(v) { return true }
        return prefixes.contains { v.hasPrefix($0) }
    }

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
