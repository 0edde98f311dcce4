import Foundation

/// Sorted views of one partition's rows, each made on first use: for a sort field, the rows in its
/// order; for a key, its values sorted with their rows (EQUALS and PREFIX filters find their rows by
/// binary search); for a date or number key, its values sorted likewise (ranges). A query starts
/// from the smallest set of rows its filters allow, or walks the order of its sort field until its
/// page is full, instead of reading every row.
final class FindingViews {
    typealias I2 = Inspector2

    /// Rows with a value in (value, ARN) order, then rows without one in ARN order.
    struct Order<K: Comparable> {
        var keys: [K]
        var rows: [Int32]
        var absent: [Int32]
    }

    /// A key's values, sorted, each with its row.
    struct Column<K: Comparable> {
        var values: [K]
        var rows: [Int32]

        /// The positions of values in `low...high` (or starting with `prefix`).
        func range(from low: K, through high: K) -> Range<Int> { lowerBound(low)..<upperBound(high) }

        func lowerBound(_ value: K) -> Int {
            var (lo, hi) = (0, values.count)
            while lo < hi { let mid = (lo + hi) / 2; if values[mid] < value { lo = mid + 1 } else { hi = mid } }
            return lo
        }

        func upperBound(_ value: K) -> Int {
            var (lo, hi) = (0, values.count)
            while lo < hi { let mid = (lo + hi) / 2; if values[mid] <= value { lo = mid + 1 } else { hi = mid } }
            return lo
        }
    }

    let rows: [IndexedFinding]
    private var numberOrders: [I2.SortField: Order<Double>] = [:]
    private var textOrders: [I2.SortField: Order<String>] = [:]
    private var textColumns: [String: Column<String>] = [:]
    private var numberColumns: [String: Column<Double>] = [:]

    init(rows: [IndexedFinding]) { self.rows = rows }

    static func before(_ a: IndexedFinding, _ b: IndexedFinding) -> Bool { a.rank != b.rank ? a.rank < b.rank : a.arn < b.arn }

    func order<K: Comparable>(_ field: I2.SortField, _ key: (IndexedFinding) -> K?, _ cache: ReferenceWritableKeyPath<FindingViews, [I2.SortField: Order<K>]>) -> Order<K> {
        if let known = self[keyPath: cache][field] { return known }
        var present: [(K, Int32)] = []
        var absent: [Int32] = []
        for (i, row) in rows.enumerated() {
            if let k = key(row) { present.append((k, Int32(i))) } else { absent.append(Int32(i)) }
        }
        present.sort { $0.0 != $1.0 ? $0.0 < $1.0 : Self.before(rows[Int($0.1)], rows[Int($1.1)]) }
        absent.sort { Self.before(rows[Int($0)], rows[Int($1)]) }
        let order = Order(keys: present.map(\.0), rows: present.map(\.1), absent: absent)
        self[keyPath: cache][field] = order
        return order
    }

    func numberOrder(_ field: I2.SortField, _ key: (IndexedFinding) -> Double?) -> Order<Double> { order(field, key, \.numberOrders) }
    func textOrder(_ field: I2.SortField, _ key: (IndexedFinding) -> String?) -> Order<String> { order(field, key, \.textOrders) }

    func column<K: Comparable>(_ name: String, _ values: (IndexedFinding) -> [K], _ cache: ReferenceWritableKeyPath<FindingViews, [String: Column<K>]>) -> Column<K> {
        if let known = self[keyPath: cache][name] { return known }
        var pairs: [(K, Int32)] = []
        pairs.reserveCapacity(rows.count)
        for (i, row) in rows.enumerated() { for v in values(row) { pairs.append((v, Int32(i))) } }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        let column = Column(values: pairs.map(\.0), rows: pairs.map(\.1))
        self[keyPath: cache][name] = column
        return column
    }

    func textColumn(_ name: String, _ values: (IndexedFinding) -> [String]) -> Column<String> { column(name, values, \.textColumns) }
    func numberColumn(_ name: String, _ values: (IndexedFinding) -> [Double]) -> Column<Double> { column(name, values, \.numberColumns) }

    // MARK: Candidates

    /// String keys a query can start from, with each row's values for them.
    static let textKeys: [String: @Sendable (IndexedFinding) -> [String]] = [
        "findingArn": { [$0.arn] }, "title": { $0.title.map { [$0] } ?? [] }, "vulnerabilityId": { $0.vulnerabilityId.map { [$0] } ?? [] },
        "severity": { [$0.severityName] }, "resourceId": { $0.subjects.map(\.id) }, "relatedVulnerabilities": { $0.related },
        "ecrImageRepositoryName": { $0.subjects.compactMap(\.repositoryName) }, "ecrImageHash": { $0.subjects.compactMap(\.imageHash) },
        "ecrImageTags": { $0.subjects.flatMap(\.imageTags) }, "lambdaFunctionName": { $0.subjects.compactMap(\.functionName) },
        "ec2InstanceImageId": { $0.subjects.compactMap(\.imageId) }, "package": { $0.packages.map(\.name) },
    ]

    /// Date and number keys a query can start from.
    static let numberKeys: [String: @Sendable (IndexedFinding) -> [Double]] = [
        "firstObservedAt": { [$0.firstObservedAt] }, "lastObservedAt": { [$0.lastObservedAt] }, "updatedAt": { $0.updatedAt.map { [$0] } ?? [] },
        "inspectorScore": { $0.inspectorScore.map { [$0] } ?? [] }, "epssScore": { $0.epss.map { [$0] } ?? [] },
    ]

    /// The rows the criteria allow at most, from the one key that allows fewest (nil when no key
    /// narrows them: every row is a candidate). Rows changed since the views were made are not
    /// included (their entries may be stale); callers add them.
    func candidates(_ c: I2.FilterCriteria?) -> [Int32]? {
        guard let c else { return nil }
        var best: [Range<Int>]? = nil, bestCount = Int.max, bestRows: [Int32] = []
        func consider(_ ranges: [Range<Int>], _ rows: [Int32]) {
            let count = ranges.reduce(0) { $0 + $1.count }
            if count < bestCount { (best, bestCount, bestRows) = (ranges, count, rows) }
        }
        func text(_ name: String, _ filters: [I2.StringFilter]?) {
            guard let filters, !filters.isEmpty, filters.allSatisfy({ $0.comparison != .notEquals }) else { return }
            let column = textColumn(name, Self.textKeys[name]!)
            consider(filters.map { f in
                switch f.comparison {
                case .prefix: column.lowerBound(f.value)..<column.lowerBound(f.value + "\u{10FFFF}")
                default: column.range(from: f.value, through: f.value)
                }
            }, column.rows)
        }
        func number(_ name: String, _ ranges: [(Double, Double)]?) {
            guard let ranges, !ranges.isEmpty else { return }
            let column = numberColumn(name, Self.numberKeys[name]!)
            consider(ranges.map { column.range(from: $0.0, through: $0.1) }, column.rows)
        }
        func dates(_ filters: [I2.DateFilter]?) -> [(Double, Double)]? {
            filters?.map { ($0.startInclusive?.timeIntervalSince1970 ?? -.infinity, $0.endInclusive?.timeIntervalSince1970 ?? .infinity) }
        }
        func numbers(_ filters: [I2.NumberFilter]?) -> [(Double, Double)]? {
            filters?.map { ($0.lowerInclusive ?? -.infinity, $0.upperInclusive ?? .infinity) }
        }
        text("findingArn", c.findingArn)
        text("title", c.title)
        text("vulnerabilityId", c.vulnerabilityId)
        text("severity", c.severity)
        text("resourceId", c.resourceId)
        text("relatedVulnerabilities", c.relatedVulnerabilities)
        text("ecrImageRepositoryName", c.ecrImageRepositoryName)
        text("ecrImageHash", c.ecrImageHash)
        text("ecrImageTags", c.ecrImageTags)
        text("lambdaFunctionName", c.lambdaFunctionName)
        text("ec2InstanceImageId", c.ec2InstanceImageId)
        // Package filters start from package names when every one of them names one.
        if let packages = c.vulnerablePackages, !packages.isEmpty,
           packages.allSatisfy({ $0.name.map { $0.comparison != .notEquals } ?? false }) {
            text("package", packages.compactMap(\.name))
        }
        number("firstObservedAt", dates(c.firstObservedAt))
        number("lastObservedAt", dates(c.lastObservedAt))
        number("updatedAt", dates(c.updatedAt))
        number("inspectorScore", numbers(c.inspectorScore))
        number("epssScore", numbers(c.epssScore))
        guard let best, bestCount < rows.count else { return nil }
        var found: [Int32] = []
        found.reserveCapacity(bestCount)
        for range in best { found += bestRows[range] }
        // A multi-valued key or overlapping filters may give a row twice.
        found.sort()
        var unique: [Int32] = []
        unique.reserveCapacity(found.count)
        for row in found where unique.last != row { unique.append(row) }
        return unique
    }
}
