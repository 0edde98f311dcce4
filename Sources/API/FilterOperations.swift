import Foundation
import Storage

/// CreateFilter, UpdateFilter, DeleteFilter and ListFilters. A filter is kept as its inspector2
/// `Filter` document; SUPPRESS filters are the suppression rules of the finding index, which
/// applies them at the next query (so at once) and to every finding written later.
///
/// Vigil's extension: a filter tagged `vigil:expiresAt` with an ISO-8601 time (`2027-03-31`,
/// `2027-03-31T00:00:00Z`) stops suppressing at that time, and its findings are ACTIVE again. The
/// tag can be given at creation or later with TagResource; an unreadable time is refused.
extension Operations {
    static let filterLimit = 500

    func storedFilter(_ call: Call, arn: String) throws -> I2.Filter? {
        try store.filters(account: call.principal.accountID, region: call.region).first { $0.arn == arn }
            .map { try JSONDecoder.inspector.decode(I2.Filter.self, from: Data($0.document.utf8)) }
    }

    func save(_ call: Call, filter: I2.Filter) throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .secondsSince1970
        encoder.outputFormatting = [.sortedKeys]
        try store.putFilter(.init(arn: filter.arn, accountID: call.principal.accountID, region: call.region,
                                  document: String(decoding: try encoder.encode(filter), as: UTF8.self)))
        index.filtersChanged(account: call.principal.accountID, region: call.region)
    }

    static func checkExpiry(_ tags: [String: String]?) throws(AWSError) {
        guard let text = tags?[SuppressionRule.expiryTag] else { return }
        guard SuppressionRule.parseExpiry(text) != nil else {
            throw AWSError.validation("The tag \(SuppressionRule.expiryTag) must be an ISO-8601 time (such as 2027-03-31T00:00:00Z), not '\(text)'",
                                      fields: [["name": "tags", "message": "Invalid \(SuppressionRule.expiryTag)"]])
        }
    }

    static func checkCriteria(_ input: [String: Any]) throws(AWSError) {
        guard let criteria = input["filterCriteria"] as? [String: Any], criteria.values.contains(where: { ($0 as? [Any])?.isEmpty == false }) else {
            throw AWSError.validation("filterCriteria must give at least one filter", fields: [["name": "filterCriteria", "message": "Must not be empty"]])
        }
    }

    func createFilter(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let request = try Self.decode(I2.CreateFilterRequest.self, input)
        try Self.checkCriteria(input)
        try Self.checkExpiry(request.tags)
        let existing = try store.filters(account: call.principal.accountID, region: call.region)
        guard existing.count < Self.filterLimit else {
            throw AWSError(status: 402, type: "ServiceQuotaExceededException", message: "An account may have at most \(Self.filterLimit) filters per region")
        }
        let account = call.principal.accountID
        let id = (0..<16).map { _ in String(format: "%x", Int.random(in: 0..<16)) }.joined()
        let arn = "arn:aws:inspector2:\(call.region):\(account):owner/\(account)/filter/\(id)"
        let now = Date()
        try save(call, filter: I2.Filter(arn: arn, ownerId: account, name: request.name, criteria: request.filterCriteria, action: request.action,
                                         createdAt: now, updatedAt: now, description: request.description, reason: request.reason, tags: request.tags))
        return ["arn": arn]
    }

    func updateFilter(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let request = try Self.decode(I2.UpdateFilterRequest.self, input)
        guard var filter = try storedFilter(call, arn: request.filterArn) else { throw Self.notFound("Filter \(request.filterArn) was not found") }
        if input["filterCriteria"] != nil {
            try Self.checkCriteria(input)
            filter.criteria = request.filterCriteria!
        }
        if let action = request.action { filter.action = action }
        if let name = request.name { filter.name = name }
        if let description = request.description { filter.description = description }
        if let reason = request.reason { filter.reason = reason }
        filter.updatedAt = Date()
        try save(call, filter: filter)
        return ["arn": filter.arn]
    }

    func deleteFilter(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let request = try Self.decode(I2.DeleteFilterRequest.self, input)
        guard try store.deleteFilter(account: call.principal.accountID, region: call.region, arn: request.arn) else {
            throw Self.notFound("Filter \(request.arn) was not found")
        }
        index.filtersChanged(account: call.principal.accountID, region: call.region)
        return ["arn": request.arn]
    }

    func listFilters(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let request = try Self.decode(I2.ListFiltersRequest.self, input)
        let filters = try store.filters(account: call.principal.accountID, region: call.region).filter { stored in
            request.arns.map { $0.contains(stored.arn) } ?? true
        }.compactMap { try? JSONSerialization.jsonObject(with: Data($0.document.utf8)) as? [String: Any] }
            .filter { request.action == nil || $0["action"] as? String == request.action?.rawValue }
        let (page, next) = try Self.page(filters, after: request.nextToken, size: request.maxResults ?? 100)
        var output: [String: Any] = ["filters": page]
        output["nextToken"] = next
        return output
    }

    /// A filter's tags are kept in its document (TagResource, UntagResource, ListTagsForResource).
    func filterTags(_ call: Call, arn: String) throws -> [String: String]? {
        guard arn.contains(":owner/"), let filter = try storedFilter(call, arn: arn) else { return nil }
        return filter.tags ?? [:]
    }

    /// Replaces a filter's tags; false when `arn` is not a filter's.
    func setFilterTags(_ call: Call, arn: String, _ tags: [String: String]) throws -> Bool {
        guard arn.contains(":owner/"), var filter = try storedFilter(call, arn: arn) else { return false }
        try Self.checkExpiry(tags)
        filter.tags = tags.isEmpty ? nil : tags
        filter.updatedAt = Date()
        try save(call, filter: filter)
        return true
    }
}
