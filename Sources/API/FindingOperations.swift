import Crypto
import Foundation
import Storage

/// ListFindings and ListFindingAggregations over the finding index (`FindingIndex`): filters as
/// `FindingPredicate` documents them, every sort field, and pages that hold across concurrent
/// writes.
///
/// A `nextToken` names the position after the last finding returned (its sort value and ARN) and
/// the request it belongs to, not an offset: a finding written, rewritten or closed between two
/// pages neither shifts the others nor repeats; a finding whose sort value moved across the
/// position is seen on the side it moved to.
extension Operations {
    static func notFound(_ message: String) -> AWSError { AWSError(status: 404, type: "ResourceNotFoundException", message: message) }

    /// A sort value: a number (severity by rank, times, scores) or text; findings without one sort
    /// after those with one, in either order, and ARNs break ties.
    enum SortValue: Comparable, Codable {
        case number(Double)
        case text(String)
    }

    /// A page position: after (value, key) in the order of the request whose digest it carries.
    struct PagePosition: Codable {
        var value: SortValue?
        var key: String
        var request: String

        func encoded() -> String { (try? JSONEncoder().encode(self)).map { $0.base64EncodedString() } ?? "" }

        static func decode(_ token: String?, request: String) throws(AWSError) -> PagePosition? {
            guard let token else { return nil }
            guard let data = Data(base64Encoded: token), let position = try? JSONDecoder().decode(PagePosition.self, from: data) else {
                throw AWSError.validation("The nextToken is not valid", fields: [["name": "nextToken", "message": "Invalid token"]])
            }
            guard position.request == request else {
                throw AWSError.validation("The nextToken belongs to a request with other criteria", fields: [["name": "nextToken", "message": "Token does not match the request"]])
            }
            return position
        }
    }

    /// A digest of the members of a request that decide its order and contents.
    static func digest(_ input: [String: Any], excluding: Set<String> = ["nextToken", "maxResults"]) -> String {
        let kept = input.filter { !excluding.contains($0.key) }
        let data = (try? JSONSerialization.data(withJSONObject: kept, options: [.sortedKeys])) ?? Data()
        return SHA256.hash(data: data).prefix(12).map { String(format: "%02x", $0) }.joined()
    }

    static func sortValue(_ f: IndexedFinding, _ field: I2.SortField) -> SortValue? {
        var image: FindingFacets.Resource.Details.Image? { f.subjects.lazy.compactMap(\.image).first }
        switch field {
        case .awsAccountId: return .text(f.account)
        case .findingType: return .text(f.type)
        case .severity: return .number(Double(f.severity))
        case .firstObservedAt: return .number(f.firstObservedAt)
        case .lastObservedAt: return .number(f.lastObservedAt)
        case .findingStatus: return .text(f.statusName)
        case .resourceType: return f.subjects.first.map { .text($0.facts.type) }
        case .ecrImagePushedAt: return image?.pushedAt.map { .number($0) }
        case .ecrImageRepositoryName: return image.map { .text($0.repositoryName) }
        case .ecrImageRegistry: return image.map { .text($0.registry) }
        case .networkProtocol: return f.networkProtocol.map { .text($0) }
        case .componentType: return nil
        case .vulnerabilityId: return f.vulnerabilityId.map { .text($0) }
        case .vulnerabilitySource: return f.vulnerabilitySource.map { .text($0) }
        case .inspectorScore: return f.inspectorScore.map { .number($0) }
        case .vendorSeverity: return f.vendorSeverity.map { .text($0) }
        case .epssScore: return f.epss.map { .number($0) }
        }
    }

    /// Whether (a, aKey) comes before (b, bKey).
    static func precedes(_ a: SortValue?, _ aKey: String, _ b: SortValue?, _ bKey: String, descending: Bool) -> Bool {
        switch (a, b) {
        case let (x?, y?) where x != y: return descending ? x > y : x < y
        case (nil, _?): return false
        case (_?, nil): return true
        default: return aKey < bKey
        }
    }

    /// The first `size` items after `position` in the order, and whether more follow: one pass
    /// keeping the best `size` in a heap, so a page of a million matches costs no full sort.
    static func firstPage<Item>(_ items: some Sequence<Item>, size: Int, after position: PagePosition?, descending: Bool,
                                key: (Item) -> (SortValue?, String)) -> (page: [Item], more: Bool) {
        var heap: [(SortValue?, String, Item)] = []  // a max-heap: the root is the last of the kept
        heap.reserveCapacity(size + 1)
        var eligible = 0
        func before(_ i: Int, _ j: Int) -> Bool { precedes(heap[i].0, heap[i].1, heap[j].0, heap[j].1, descending: descending) }
        func siftDown(_ start: Int) {
            var i = start
            while true {
                let l = 2 * i + 1, r = l + 1
                var worst = i
                if l < heap.count, before(worst, l) { worst = l }
                if r < heap.count, before(worst, r) { worst = r }
                if worst == i { return }
                heap.swapAt(i, worst)
                i = worst
            }
        }
        for item in items {
            let (value, name) = key(item)
            if let position, !precedes(position.value, position.key, value, name, descending: descending) { continue }
            eligible += 1
            if heap.count < size {
                heap.append((value, name, item))
                var i = heap.count - 1
                while i > 0, before((i - 1) / 2, i) {
                    heap.swapAt(i, (i - 1) / 2)
                    i = (i - 1) / 2
                }
            } else if let root = heap.first, precedes(value, name, root.0, root.1, descending: descending) {
                heap[0] = (value, name, item)
                siftDown(0)
            }
        }
        let sorted = heap.sorted { precedes($0.0, $0.1, $1.0, $1.1, descending: descending) }
        return (sorted.map(\.2), eligible > sorted.count)
    }

    /// The first `size` matching rows after `position` in the order of `field`, and whether more
    /// follow. The plan: when the filters allow few rows (a key's sorted values give them by binary
    /// search, `FindingViews.candidates`), those rows are checked and the best kept in a heap;
    /// otherwise the rows are walked in the field's order until the page is full. Rows changed since
    /// the views were made are checked apart and merged in.
    static func pageOfRows(_ partition: FindingIndex.Partition, _ criteria: I2.FilterCriteria?, _ predicate: FindingPredicate, field: I2.SortField,
                           size: Int, after position: PagePosition?, descending: Bool) -> (rows: [IndexedFinding], more: Bool) {
        let views = partition.currentViews()
        let rows = partition.rows
        let dirty = partition.dirty.map(Int.init)
        func plan<K: Comparable>(_ key: (IndexedFinding) -> K?, _ start: K?, _ order: () -> FindingViews.Order<K>) -> ([Int], Bool) {
            let positionArn = position?.key ?? ""
            let positionRank = IndexedFinding.rank(positionArn)
            // Whether (ka, a) comes before (kb, b); row number -1 is the position.
            func precedes(_ ka: K?, _ ra: UInt64, _ a: Int, _ kb: K?, _ rb: UInt64, _ b: Int) -> Bool {
                switch (ka, kb) {
                case let (x?, y?) where x != y: return descending ? x > y : x < y
                case (nil, _?): return false
                case (_?, nil): return true
                default:
                    if ra != rb { return ra < rb }
                    return (a < 0 ? positionArn : rows[a].arn) < (b < 0 ? positionArn : rows[b].arn)
                }
            }
            func eligible(_ i: Int) -> (K?, Bool) {
                let row = rows[i]
                guard predicate.matches(row) else { return (nil, false) }
                let k = key(row)
                if position != nil, !precedes(start, positionRank, -1, k, row.rank, i) { return (k, false) }
                return (k, true)
            }
            /// The best `size` of some rows (and whether there were more), by a heap.
            func best(_ candidates: some Sequence<Int>) -> ([Int], Bool) {
                var heap: [(key: K?, rank: UInt64, row: Int)] = []  // a max-heap: the root is the last of those kept
                heap.reserveCapacity(size + 1)
                func before(_ i: Int, _ j: Int) -> Bool { precedes(heap[i].key, heap[i].rank, heap[i].row, heap[j].key, heap[j].rank, heap[j].row) }
                var count = 0
                for i in candidates {
                    let (k, ok) = eligible(i)
                    guard ok else { continue }
                    count += 1
                    let rank = rows[i].rank
                    if heap.count < size {
                        heap.append((k, rank, i))
                        var c = heap.count - 1
                        while c > 0, before((c - 1) / 2, c) {
                            heap.swapAt(c, (c - 1) / 2)
                            c = (c - 1) / 2
                        }
                    } else if let root = heap.first, precedes(k, rank, i, root.key, root.rank, root.row) {
                        heap[0] = (k, rank, i)
                        var c = 0
                        while true {
                            let l = 2 * c + 1, r = l + 1
                            var worst = c
                            if l < heap.count, before(worst, l) { worst = l }
                            if r < heap.count, before(worst, r) { worst = r }
                            if worst == c { break }
                            heap.swapAt(c, worst)
                            c = worst
                        }
                    }
                }
                let sorted = heap.sorted { precedes($0.key, $0.rank, $0.row, $1.key, $1.rank, $1.row) }
                return (sorted.map(\.row), count > sorted.count)
            }
            let candidates = views.candidates(criteria)
            let walkCost = Double(size + 1) * Double(rows.count) / Double(max(1, candidates?.count ?? rows.count))
            if let candidates, Double(candidates.count) <= 4 * walkCost {
                return best(candidates.lazy.map(Int.init).filter { !rows[$0].dirty } + dirty)
            }
            // Walk the field's order: values in order (equal values by ARN in either direction), then rows without one.
            let order = order()
            var found: [Int] = []
            func visit(_ r: Int32) -> Bool {
                let i = Int(r)
                guard !rows[i].dirty, eligible(i).1 else { return false }
                found.append(i)
                return found.count > size
            }
            var full = false
            if !descending {
                for r in order.rows where visit(r) { full = true; break }
            } else {
                var end = order.rows.count
                walk: while end > 0 {
                    var start = end - 1
                    while start > 0, order.keys[start - 1] == order.keys[end - 1] { start -= 1 }
                    for r in order.rows[start..<end] where visit(r) { full = true; break walk }
                    end = start
                }
            }
            if !full { for r in order.absent where visit(r) { full = true; break } }
            let (merged, more) = best(found + dirty)
            return (merged, more || full)
        }
        let numbers: [I2.SortField: (IndexedFinding) -> Double?] = [
            .severity: { Double($0.severity) }, .firstObservedAt: { $0.firstObservedAt }, .lastObservedAt: { $0.lastObservedAt },
            .ecrImagePushedAt: { $0.subjects.lazy.compactMap(\.pushedAt).first }, .inspectorScore: { $0.inspectorScore }, .epssScore: { $0.epss },
        ]
        let found: ([Int], Bool)
        if let number = numbers[field] {
            let value: Double? = if case let .number(n)? = position?.value { n } else { nil }
            found = plan(number, value) { views.numberOrder(field, number) }
        } else {
            let value: String? = if case let .text(t)? = position?.value { t } else { nil }
            let text = { (row: IndexedFinding) -> String? in
                if case let .text(t)? = sortValue(row, field) { return t }
                return nil
            }
            found = plan(text, value) { views.textOrder(field, text) }
        }
        return (found.0.map { rows[$0] }, found.1)
    }

    // MARK: ListFindings

    /// ListFindings: every key of the model's `FilterCriteria`, every sort field, pages of up to
    /// 100. Without sort criteria, most severe first.
    func listFindings(_ call: Call, _ input: [String: Any]) throws -> Data {
        let request = try Self.decode(I2.ListFindingsRequest.self, input)
        let field = request.sortCriteria?.field ?? .severity
        let descending = request.sortCriteria.map { $0.sortOrder == .desc } ?? true
        let predicate = FindingPredicate(request.filterCriteria)
        let position = try PagePosition.decode(request.nextToken, request: Self.digest(input))
        let size = request.maxResults ?? 100
        let (page, more): ([(arn: String, status: String, lastObservedAt: Double, value: SortValue?)], Bool) =
            try index.read(account: call.principal.accountID, region: call.region) { partition in
                let (rows, more) = Self.pageOfRows(partition, request.filterCriteria, predicate, field: field, size: size, after: position, descending: descending)
                return (rows.map { ($0.arn, $0.statusName, $0.lastObservedAt, Self.sortValue($0, field)) }, more)
            }
        // The stored documents as they are, with the status readers see and the last observation
        // spliced in (decoding and re-encoding a page of documents would cost more than the query).
        let documents = Dictionary(try store.findings(arns: page.map(\.arn)).map { ($0.arn, $0.document) }, uniquingKeysWith: { a, _ in a })
        let findings = try page.compactMap { entry -> String? in
            guard let document = documents[entry.arn] else { return nil }
            let values = ["status": "\"\(entry.status)\"", "lastObservedAt": Self.number(entry.lastObservedAt)]
            if let spliced = JSONSplice.replacing(values, in: document) { return spliced }
            throw AWSError.internal("the stored document of \(entry.arn) is not a JSON object")
        }
        var body = "{\"findings\":[" + findings.joined(separator: ",") + "]"
        if more, let last = page.last {
            body += ",\"nextToken\":\"" + PagePosition(value: last.value, key: last.arn, request: Self.digest(input)).encoded() + "\""
        }
        return Data((body + "}").utf8)
    }

    /// A number as JSON writes it (whole seconds without a fraction).
    static func number(_ value: Double) -> String {
        value == value.rounded() && abs(value) < 1e15 ? String(Int64(value)) : "\(value)"
    }

    // MARK: ListFindingAggregations

    /// One group's counts.
    struct Group {
        var key: String
        var fields: [String: Any] = [:]
        var all: Int64 = 0, medium: Int64 = 0, high: Int64 = 0, critical: Int64 = 0
        var exploitable: Int64 = 0, fixable: Int64 = 0, network: Int64 = 0
        var members: Set<String> = []

        mutating func count(_ f: IndexedFinding) {
            all += 1
            switch f.severity {
            case SeverityRank.critical: critical += 1
            case SeverityRank.high: high += 1
            case SeverityRank.medium: medium += 1
            default: break
            }
            if f.exploitable { exploitable += 1 }
            if f.fixable { fixable += 1 }
            if f.isNetwork { network += 1 }
        }

        var severityCounts: [String: Any] { ["all": all, "medium": medium, "high": high, "critical": critical] }
    }

    /// ListFindingAggregations: counts of the account's ACTIVE findings (suppressed and closed ones
    /// are not counted, as in Inspector) grouped by the aggregation type, with its filters, `sortBy`
    /// (default ALL) and `sortOrder` (default DESC); groups with equal counts by key.
    func listFindingAggregations(_ call: Call, _ input: [String: Any]) throws -> Data {
        let request = try Self.decode(I2.ListFindingAggregationsRequest.self, input)
        let type = request.aggregationType
        let aggregation = request.aggregationRequest
        let member = Self.aggregationMember[type.rawValue]!
        if let given = (input["aggregationRequest"] as? [String: Any])?.keys.first, given != member {
            throw AWSError.validation("aggregationRequest.\(given) does not match aggregationType \(type.rawValue) (expected \(member))",
                                      fields: [["name": "aggregationRequest", "message": "Must match aggregationType"]])
        }
        let accounts = StringTest(request.accountIds)
        let groups = try index.read(account: call.principal.accountID, region: call.region) { partition in
            try Self.aggregate(partition.rows.lazy.filter { $0.status == Status.active && (accounts?.passes($0.account) ?? true) }, type: type, request: aggregation)
        }
        let sortBy = Self.aggregationSortBy(input, member: member)
        let descending = ((input["aggregationRequest"] as? [String: Any])?[member] as? [String: Any])?["sortOrder"] as? String != "ASC"
        func value(_ g: Group) -> SortValue {
            switch sortBy {
            case "CRITICAL": .number(Double(g.critical))
            case "HIGH": .number(Double(g.high))
            case "AFFECTED_INSTANCES", "AFFECTED_IMAGES": .number(Double(g.members.count))
            case "NETWORK_FINDINGS": .number(Double(g.network))
            default: .number(Double(g.all))
            }
        }
        let position = try PagePosition.decode(request.nextToken, request: Self.digest(input))
        let (page, more) = Self.firstPage(groups, size: request.maxResults ?? 100, after: position, descending: descending) { (value($0), $0.key) }
        var output: [String: Any] = ["aggregationType": type.rawValue, "responses": page.map { [member: $0.fields.merging(["severityCounts": $0.severityCounts]) { a, _ in a }] }]
        if more, let last = page.last { output["nextToken"] = PagePosition(value: value(last), key: last.key, request: Self.digest(input)).encoded() }
        guard let data = try? JSONSerialization.data(withJSONObject: output, options: [.sortedKeys]) else { throw AWSError.internal("aggregation not encodable") }
        return data
    }

    static let aggregationMember: [String: String] = [
        "ACCOUNT": "accountAggregation", "AMI": "amiAggregation", "AWS_ECR_CONTAINER": "awsEcrContainerAggregation",
        "AWS_EC2_INSTANCE": "ec2InstanceAggregation", "FINDING_TYPE": "findingTypeAggregation", "IMAGE_LAYER": "imageLayerAggregation",
        "PACKAGE": "packageAggregation", "REPOSITORY": "repositoryAggregation", "TITLE": "titleAggregation",
        "LAMBDA_LAYER": "lambdaLayerAggregation", "AWS_LAMBDA_FUNCTION": "lambdaFunctionAggregation", "CODE_REPOSITORY": "codeRepositoryAggregation",
    ]

    static func aggregationSortBy(_ input: [String: Any], member: String) -> String {
        ((input["aggregationRequest"] as? [String: Any])?[member] as? [String: Any])?["sortBy"] as? String ?? "ALL"
    }

    /// The groups of one aggregation type over the findings given.
    static func aggregate(_ rows: some Sequence<IndexedFinding>, type: I2.AggregationType, request r: I2.AggregationRequest?) throws -> [Group] {
        var groups: [Group] = []
        var positions: [String: Int] = [:]
        func add(_ key: String, _ f: IndexedFinding, member: String? = nil, fields: () -> [String: Any]) {
            let at: Int
            if let known = positions[key] {
                at = known
            } else {
                at = groups.count
                positions[key] = at
                groups.append(Group(key: key, fields: fields()))
            }
            groups[at].count(f)
            if let member { groups[at].members.insert(member) }
        }
        // Keys numbered in the partition (package names, resource ids) find their group by array.
        var slots: [Int32] = []
        func add(code: Int32, _ key: @autoclosure () -> String, _ f: IndexedFinding, fields: () -> [String: Any]) {
            let c = Int(code)
            if c >= slots.count { slots += repeatElement(0, count: max(c + 1 - slots.count, 1024)) }
            var at = Int(slots[c]) - 1
            if at < 0 {
                at = groups.count
                slots[c] = Int32(at + 1)
                groups.append(Group(key: key(), fields: fields()))
            }
            groups[at].count(f)
        }
        func tags(_ filters: [I2.MapFilter]?, _ tags: [String: String]) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            return filters.contains { m in tags[m.key].map { m.value == nil || $0 == m.value } ?? false }
        }
        func within(_ filters: [I2.DateFilter]?, _ value: Double?) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            guard let value else { return false }
            return filters.contains { value >= ($0.startInclusive?.timeIntervalSince1970 ?? -.infinity) && value <= ($0.endInclusive?.timeIntervalSince1970 ?? .infinity) }
        }
        func within(_ filters: [I2.NumberFilter]?, _ value: Double?) -> Bool {
            guard let filters, !filters.isEmpty else { return true }
            guard let value else { return false }
            return filters.contains { value >= ($0.lowerInclusive ?? -.infinity) && value <= ($0.upperInclusive ?? .infinity) }
        }
        func kinds(_ findingType: I2.AggregationFindingType?, _ resourceType: I2.AggregationResourceType?, _ f: IndexedFinding) -> Bool {
            (findingType.map { $0.rawValue == f.type } ?? true)
                && (resourceType.map { t in f.subjects.contains { $0.type == t.rawValue } } ?? true)
        }
        /// Groups of (resource, layer): a finding counts once for each layer its vulnerable packages came from.
        func byLayer(_ layers: StringTest?, _ layer: (FindingFacets.Package) -> String?, _ subject: (Subject) -> Bool,
                     fields: (Subject, String) -> [String: Any]) {
            for f in rows {
                for s in f.subjects where subject(s) {
                    for id in Set(f.packages.compactMap(layer)) where layers?.passes(id) ?? true {
                        add(s.id + "\u{1f}" + id, f) { fields(s, id).merging(["accountId": f.account]) { a, _ in a } }
                    }
                }
            }
        }
        switch type {
        case .account, .findingType:
            // The same counts, by account or by finding type (whose response names only the account).
            let (findingType, resourceType) = type == .account ? (r?.accountAggregation?.findingType, r?.accountAggregation?.resourceType)
                : (r?.findingTypeAggregation?.findingType, r?.findingTypeAggregation?.resourceType)
            for f in rows where kinds(findingType, resourceType, f) {
                add(type == .account ? f.account : f.type, f) { ["accountId": f.account] }
            }
            for i in groups.indices {
                groups[i].fields["exploitAvailableCount"] = groups[i].exploitable
                groups[i].fields["fixAvailableCount"] = groups[i].fixable
            }
        case .title:
            let a = r?.titleAggregation
            let titles = StringTest(a?.titles), ids = StringTest(a?.vulnerabilityIds)
            for f in rows where kinds(a?.findingType, a?.resourceType, f) {
                guard let title = f.title, titles?.passes(title) ?? true, ids?.passes(f.vulnerabilityId) ?? true else { continue }
                add(title, f) {
                    var fields: [String: Any] = ["title": title, "accountId": f.account]
                    fields["vulnerabilityId"] = f.vulnerabilityId
                    return fields
                }
            }
        case .package:
            let names = StringTest(r?.packageAggregation?.packageNames)
            for f in rows {
                for (n, package) in f.packages.enumerated() where names?.passes(package.name) ?? true {
                    // A package named twice in one finding counts it once.
                    if n > 0, f.packages[..<n].contains(where: { $0.code == package.code }) { continue }
                    add(code: package.code, package.name, f) { ["packageName": package.name, "accountId": f.account] }
                }
            }
        case .ami:
            let amis = StringTest(r?.amiAggregation?.amis)
            for f in rows {
                for s in f.subjects {
                    guard let ami = s.instance?.imageId, amis?.passes(ami) ?? true else { continue }
                    add(ami, f, member: s.id) { ["ami": ami, "accountId": f.account] }
                }
            }
            for i in groups.indices { groups[i].fields["affectedInstances"] = Int64(groups[i].members.count) }
        case .awsEc2Instance:
            let a = r?.ec2InstanceAggregation
            let amis = StringTest(a?.amis), systems = StringTest(a?.operatingSystems), ids = StringTest(a?.instanceIds)
            for f in rows {
                for s in f.subjects where s.type == "AWS_EC2_INSTANCE" {
                    guard amis?.passes(s.instance?.imageId) ?? true, systems?.passes(s.instance?.platform) ?? true,
                          ids?.passes(s.id) ?? true, tags(a?.instanceTags, s.tagPairs) else { continue }
                    add(code: s.ordinal, s.id, f) {
                        var fields: [String: Any] = ["instanceId": s.id, "instanceTags": s.tagPairs, "accountId": f.account]
                        fields["ami"] = s.instance?.imageId
                        fields["operatingSystem"] = s.instance?.platform
                        return fields
                    }
                }
            }
            for i in groups.indices { groups[i].fields["networkFindings"] = groups[i].network }
        case .awsEcrContainer:
            let a = r?.awsEcrContainerAggregation
            let ids = StringTest(a?.resourceIds), shas = StringTest(a?.imageShas), repositories = StringTest(a?.repositories)
            let architectures = StringTest(a?.architectures), imageTags = StringTest(a?.imageTags)
            let filtered = ids != nil || shas != nil || repositories != nil || architectures != nil || imageTags != nil
                || a?.lastInUseAt?.isEmpty == false || a?.inUseCount?.isEmpty == false
            for f in rows {
                for s in f.subjects where s.isImage {
                    if filtered {
                        guard let image = s.image, ids?.passes(s.id) ?? true, shas?.passes(image.imageHash) ?? true,
                              repositories?.passes(image.repositoryName) ?? true, architectures?.passes(image.architecture) ?? true,
                              imageTags?.passes(s.imageTags) ?? true, within(a?.lastInUseAt, image.lastInUseAt),
                              within(a?.inUseCount, image.inUseCount) else { continue }
                    }
                    add(code: s.ordinal, s.id, f) {
                        let image = s.image!
                        var fields: [String: Any] = ["resourceId": s.id, "imageSha": image.imageHash, "repository": image.repositoryName,
                                                     "imageTags": s.imageTags, "accountId": f.account]
                        fields["architecture"] = image.architecture
                        fields["lastInUseAt"] = image.lastInUseAt
                        fields["inUseCount"] = image.inUseCount.map { Int64($0) }
                        return fields
                    }
                }
            }
        case .repository:
            let repositories = StringTest(r?.repositoryAggregation?.repositories)
            for f in rows {
                for s in f.subjects {
                    guard let name = s.image?.repositoryName, repositories?.passes(name) ?? true else { continue }
                    add(name, f, member: s.id) { ["repository": name, "accountId": f.account] }
                }
            }
            for i in groups.indices { groups[i].fields["affectedImages"] = Int64(groups[i].members.count) }
        case .imageLayer:
            let a = r?.imageLayerAggregation
            let repositories = StringTest(a?.repositories), ids = StringTest(a?.resourceIds)
            byLayer(StringTest(a?.layerHashes), \.sourceLayerHash) { s in
                s.isImage && repositories?.passes(s.repositoryName) ?? true && ids?.passes(s.id) ?? true
            } fields: { s, layer in ["repository": s.repositoryName ?? "", "resourceId": s.id, "layerHash": layer] }
        case .awsLambdaFunction:
            let a = r?.lambdaFunctionAggregation
            let ids = StringTest(a?.resourceIds), names = StringTest(a?.functionNames), runtimes = StringTest(a?.runtimes)
            for f in rows {
                for s in f.subjects {
                    guard let function = s.function, ids?.passes(s.id) ?? true, names?.passes(function.functionName) ?? true,
                          runtimes?.passes(function.runtime) ?? true, tags(a?.functionTags, s.tagPairs) else { continue }
                    add(code: s.ordinal, s.id, f) {
                        var fields: [String: Any] = ["resourceId": s.id, "functionName": function.functionName, "runtime": function.runtime,
                                                     "lambdaTags": s.tagPairs, "accountId": f.account]
                        fields["lastModifiedAt"] = function.lastModifiedAt
                        return fields
                    }
                }
            }
        case .lambdaLayer:
            let a = r?.lambdaLayerAggregation
            let names = StringTest(a?.functionNames), ids = StringTest(a?.resourceIds)
            byLayer(StringTest(a?.layerArns), \.sourceLambdaLayerArn) { s in
                s.functionName != nil && names?.passes(s.functionName) ?? true && ids?.passes(s.id) ?? true
            } fields: { s, layer in ["functionName": s.functionName ?? "", "resourceId": s.id, "layerArn": layer] }
        case .codeRepository:
            let a = r?.codeRepositoryAggregation
            let projects = StringTest(a?.projectNames), providers = StringTest(a?.providerTypes), ids = StringTest(a?.resourceIds)
            for f in rows {
                for s in f.subjects {
                    guard let repository = s.codeRepository, let project = repository.projectName, projects?.passes(project) ?? true,
                          providers?.passes(repository.providerType) ?? true, ids?.passes(s.id) ?? true else { continue }
                    add(code: s.ordinal, s.id, f) {
                        var fields: [String: Any] = ["projectNames": project, "resourceId": s.id, "accountId": f.account]
                        fields["providerType"] = repository.providerType
                        return fields
                    }
                }
            }
            for i in groups.indices {
                groups[i].fields["exploitAvailableActiveFindingsCount"] = groups[i].exploitable
                groups[i].fields["fixAvailableActiveFindingsCount"] = groups[i].fixable
            }
        }
        return groups
    }
}
