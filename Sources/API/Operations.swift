import Foundation
import Service
import Storage

/// The operations this server implements; every other routed operation answers `NotImplemented`.
struct Operations: Sendable {
    struct Call {
        var spec: OperationSpec
        var parameters: [String: String]
        var body: Data
        var principal: ServiceStore.Principal
        var region: String
        /// Query parameters, decoded; repeated names keep every value.
        var query: [String: [String]] = [:]
    }

    let store: ServiceStore
    /// Told when scanning switches change, so resources are evaluated (or their findings closed).
    var service: ScanService? = nil
    /// The findings in memory, for the findings API.
    let index: FindingIndex

    init(store: ServiceStore, service: ScanService? = nil) {
        self.store = store
        self.service = service
        index = FindingIndex(store: store)
    }

    static let implemented: Set<String> = [
        "Enable", "Disable", "BatchGetAccountStatus", "ListAccountPermissions", "GetConfiguration", "UpdateConfiguration",
        "GetEc2DeepInspectionConfiguration", "UpdateEc2DeepInspectionConfiguration", "TagResource", "UntagResource",
        "ListTagsForResource", "GetEncryptionKey", "UpdateEncryptionKey", "ResetEncryptionKey", "BatchGetFreeTrialInfo",
        "ListUsageTotals", "ListCoverage", "ListCoverageStatistics", "ListFindings", "ListFindingAggregations", "BatchGetFindingDetails",
        "CreateFilter", "UpdateFilter", "DeleteFilter", "ListFilters", "SearchVulnerabilities", "ScanSbom",
    ]

    /// Validates the request against its input shape (body, path and query members together), then
    /// answers it.
    func perform(_ call: Call) throws(AWSError) -> (Int, Data) {
        guard Self.implemented.contains(call.spec.name) else { throw AWSError.notImplemented(call.spec.name) }
        let body = try Self.object(call.body)
        let input = ModelValidator.input(for: call.spec, body: body, parameters: call.parameters, query: call.query)
        if let shape = call.spec.input { try ModelValidator.validate(input, shape: shape) }
        let output: [String: Any]
        do {
            switch call.spec.name {
            case "ListCoverage": return (call.spec.successCode, try listCoverage(call, input))
            case "ListCoverageStatistics": return (call.spec.successCode, try listCoverageStatistics(call, input))
            case "ListFindings": return (call.spec.successCode, try listFindings(call, input))
            case "ListFindingAggregations": return (call.spec.successCode, try listFindingAggregations(call, input))
            case "BatchGetFindingDetails": output = try findingDetails(call, input)
            case "CreateFilter": output = try createFilter(call, input)
            case "UpdateFilter": output = try updateFilter(call, input)
            case "DeleteFilter": output = try deleteFilter(call, input)
            case "ListFilters": output = try listFilters(call, input)
            case "SearchVulnerabilities": output = try searchVulnerabilities(call, input)
            case "ScanSbom": return (call.spec.successCode, try scanSbom(call, input))
            case "Enable": output = try enable(call, input)
            case "Disable": output = try disable(call, input)
            case "BatchGetAccountStatus": output = try batchGetAccountStatus(call, input)
            case "ListAccountPermissions": output = try listAccountPermissions(call, input)
            case "GetConfiguration": output = try getConfiguration(call)
            case "UpdateConfiguration": output = try updateConfiguration(call, input)
            case "GetEc2DeepInspectionConfiguration": output = try deepInspection(call)
            case "UpdateEc2DeepInspectionConfiguration": output = try updateDeepInspection(call, input)
            case "TagResource": output = try tagResource(call, input)
            case "UntagResource": output = try untagResource(call)
            case "ListTagsForResource": output = ["tags": try tags(call)]
            case "GetEncryptionKey": output = try getEncryptionKey(call)
            case "UpdateEncryptionKey": output = try updateEncryptionKey(call, input)
            case "ResetEncryptionKey": output = try resetEncryptionKey(call, input)
            case "BatchGetFreeTrialInfo": output = try freeTrialInfo(call, input)
            case "ListUsageTotals": output = try usageTotals(call, input)
            default: throw AWSError.notImplemented(call.spec.name)
            }
        } catch let error as AWSError {
            throw error
        } catch {
            throw AWSError.internal("\(call.spec.name): \(error)")
        }
        guard let data = try? JSONSerialization.data(withJSONObject: output, options: [.sortedKeys]) else {
            throw AWSError.internal("\(call.spec.name): response not encodable")
        }
        return (call.spec.successCode, data)
    }

    /// The request body as a JSON object (empty bodies are `{}`).
    static func object(_ body: Data) throws(AWSError) -> [String: Any] {
        if body.isEmpty || body.allSatisfy({ $0 == 0x20 || $0 == 0x0A }) { return [:] }
        guard let object = (try? JSONSerialization.jsonObject(with: body)) as? [String: Any] else {
            throw AWSError.validation("Could not parse the request body as a JSON object", reason: "CANNOT_PARSE")
        }
        return object
    }

    static let statusKeys = ["EC2": "ec2", "ECR": "ecr", "LAMBDA": "lambda", "LAMBDA_CODE": "lambdaCode", "CODE_REPOSITORY": "codeRepository"]

    func accountIDs(_ call: Call, _ input: [String: Any]) throws -> [String] {
        guard let ids = input["accountIds"] else { return [call.principal.accountID] }
        guard let list = ids as? [String], list.count <= 100 else {
            throw AWSError.constraint("accountIds", value: ids, "have length less than or equal to 100")
        }
        for id in list where id.count != 12 || !id.allSatisfy(\.isNumber) {
            throw AWSError.constraint("accountIds", value: id, "satisfy regular expression pattern: [0-9]{12}")
        }
        return list
    }

    func resourceTypes(_ input: [String: Any], required: Bool) throws -> [String] {
        guard let value = input["resourceTypes"] else {
            if required {
                throw AWSError.constraint("resourceTypes", value: nil, "not be null")
            }
            return ServiceStore.resourceTypes
        }
        guard let list = value as? [String], !list.isEmpty else {
            throw AWSError.constraint("resourceTypes", value: value, "have length greater than or equal to 1")
        }
        for type in list where !ServiceStore.resourceTypes.contains(type) {
            throw AWSError.constraint("resourceTypes", value: type, "satisfy enum value set: [\(ServiceStore.resourceTypes.joined(separator: ", "))]")
        }
        return list
    }

    /// An account's entry: overall status and one status per resource type.
    func account(_ id: String, region: String) throws -> [String: Any] {
        let status = try store.status(account: id, region: region)
        var resourceStatus: [String: Any] = [:]
        for (type, key) in Self.statusKeys { resourceStatus[key] = status[type] ?? "DISABLED" }
        return ["accountId": id, "status": status.values.contains("ENABLED") ? "ENABLED" : "DISABLED", "resourceStatus": resourceStatus]
    }

    /// Only the caller's own account can be changed (Vigil has no delegated administrators yet):
    /// other ids come back in `failedAccounts` with ACCESS_DENIED.
    func change(_ call: Call, _ input: [String: Any], types: [String], to status: String) throws -> [String: Any] {
        var accounts: [[String: Any]] = []
        var failed: [[String: Any]] = []
        for id in try accountIDs(call, input) {
            guard id == call.principal.accountID else {
                failed.append(["accountId": id, "errorCode": "ACCESS_DENIED", "errorMessage": "Account \(id) is not administered by \(call.principal.accountID)"])
                continue
            }
            try store.setStatus(account: id, region: call.region, resourceTypes: types, status: status)
            try service?.resourceTypesChanged(account: id, region: call.region)
            accounts.append(try account(id, region: call.region))
        }
        return ["accounts": accounts, "failedAccounts": failed]
    }

    func enable(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        try change(call, input, types: try resourceTypes(input, required: true), to: "ENABLED")
    }

    func disable(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        try change(call, input, types: try resourceTypes(input, required: false), to: "DISABLED")
    }

    /// A `State`: the model requires `errorCode` and `errorMessage` even for a healthy state (strict
    /// SDKs such as Kotlin's refuse it without them), so the nearest codes are given.
    static func state(_ status: String, what: String) -> [String: String] {
        status == "ENABLED"
            ? ["status": status, "errorCode": "ALREADY_ENABLED", "errorMessage": "\(what) scanning is enabled"]
            : ["status": status, "errorCode": "RESOURCE_NOT_FOUND", "errorMessage": "\(what) scanning is not enabled"]
    }

    func batchGetAccountStatus(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        var accounts: [[String: Any]] = []
        var failed: [[String: Any]] = []
        for id in try accountIDs(call, input) {
            guard id == call.principal.accountID else {
                failed.append(["accountId": id, "errorCode": "ACCESS_DENIED", "errorMessage": "Account \(id) is not visible to \(call.principal.accountID)"])
                continue
            }
            let status = try store.status(account: id, region: call.region)
            var resourceState: [String: Any] = [:]
            for (type, key) in Self.statusKeys { resourceState[key] = Self.state(status[type] ?? "DISABLED", what: type) }
            accounts.append(["accountId": id, "state": Self.state(status.values.contains("ENABLED") ? "ENABLED" : "DISABLED", what: "Amazon Inspector"),
                             "resourceState": resourceState])
        }
        return ["accounts": accounts, "failedAccounts": failed]
    }

    // MARK: Permissions and configuration

    static func enumValue(_ input: [String: Any], _ key: String, _ allowed: [String], path: String) throws -> String? {
        guard let value = input[key] else { return nil }
        guard let text = value as? String, allowed.contains(text) else {
            throw AWSError.constraint(path, value: value, "satisfy enum value set: [\(allowed.joined(separator: ", "))]")
        }
        return text
    }

    /// What the caller's key may do: the scanning switches for each service under the full policy,
    /// nothing under read-only. `nextToken` is an opaque offset.
    func listAccountPermissions(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let service = try Self.enumValue(input, "service", ["EC2", "ECR", "LAMBDA"], path: "service")
        var permissions: [[String: String]] = []
        if call.principal.policy == "full" {
            for s in ["EC2", "ECR", "LAMBDA"] where service == nil || service == s {
                for operation in ["ENABLE_SCANNING", "DISABLE_SCANNING"] + (s == "ECR" ? ["ENABLE_REPOSITORY", "DISABLE_REPOSITORY"] : []) {
                    permissions.append(["service": s, "operation": operation])
                }
            }
        }
        let maxResults = input["maxResults"] as? Int ?? 1024
        guard (1...1024).contains(maxResults) else {
            throw AWSError.constraint("maxResults", value: maxResults, "have value between 1 and 1024")
        }
        let (page, next) = try Self.page(permissions, after: input["nextToken"], size: maxResults)
        var out: [String: Any] = ["permissions": page]
        if let next { out["nextToken"] = next }
        return out
    }

    static func token(_ offset: Int) -> String { Data("o:\(offset)".utf8).base64EncodedString() }

    /// One page of `items` from the offset in `nextToken`, and the token for the next page (nil at the end).
    static func page<T>(_ items: [T], after nextToken: Any?, size: Int) throws -> ([T], String?) {
        let start = try offset(nextToken)
        let page = Array(items.dropFirst(start).prefix(size))
        return (page, start + page.count < items.count ? token(start + page.count) : nil)
    }

    static func offset(_ value: Any?) throws -> Int {
        guard let value else { return 0 }
        guard let text = value as? String, let data = Data(base64Encoded: text), let decoded = String(data: data, encoding: .utf8),
              decoded.hasPrefix("o:"), let offset = Int(decoded.dropFirst(2)), offset >= 0 else {
            throw AWSError.validation("The nextToken is not valid", fields: [["name": "nextToken", "message": "Invalid token"]])
        }
        return offset
    }

    func stored(_ call: Call, _ name: String) throws -> ([String: Any], Double?) {
        guard let (value, updated) = try store.setting(account: call.principal.accountID, region: call.region, name: name),
              let object = try JSONSerialization.jsonObject(with: Data(value.utf8)) as? [String: Any] else { return ([:], nil) }
        return (object, updated)
    }

    func save(_ call: Call, _ name: String, _ object: [String: Any]) throws {
        let data = try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
        try store.setSetting(account: call.principal.accountID, region: call.region, name: name, value: String(decoding: data, as: UTF8.self))
    }

    func getConfiguration(_ call: Call) throws -> [String: Any] {
        let (ecr, ecrUpdated) = try stored(call, "ecrConfiguration")
        let (ec2, _) = try stored(call, "ec2Configuration")
        var rescan: [String: Any] = [
            "rescanDuration": ecr["rescanDuration"] ?? "LIFETIME", "status": "SUCCESS",
            "pullDateRescanDuration": ecr["pullDateRescanDuration"] ?? "DAYS_90", "pullDateRescanMode": ecr["pullDateRescanMode"] ?? "LAST_PULL_DATE",
        ]
        if let ecrUpdated { rescan["updatedAt"] = ecrUpdated }
        return ["ecrConfiguration": ["rescanDurationState": rescan],
                "ec2Configuration": ["scanModeState": ["scanMode": ec2["scanMode"] ?? "EC2_SSM_AGENT_BASED", "scanModeStatus": "SUCCESS"]]]
    }

    func updateConfiguration(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        if input["ecrConfiguration"] == nil && input["ec2Configuration"] == nil {
            throw AWSError.validation("Either ecrConfiguration or ec2Configuration must be given", reason: "OTHER")
        }
        if let ecr = input["ecrConfiguration"] {
            guard let object = ecr as? [String: Any], object["rescanDuration"] != nil else {
                throw AWSError.constraint("ecrConfiguration.rescanDuration", value: nil, "not be null")
            }
            var saved: [String: Any] = [:]
            saved["rescanDuration"] = try Self.enumValue(object, "rescanDuration", ["LIFETIME", "DAYS_30", "DAYS_180", "DAYS_14", "DAYS_60", "DAYS_90"], path: "ecrConfiguration.rescanDuration")
            saved["pullDateRescanDuration"] = try Self.enumValue(object, "pullDateRescanDuration", ["DAYS_14", "DAYS_30", "DAYS_60", "DAYS_90", "DAYS_180"], path: "ecrConfiguration.pullDateRescanDuration")
            saved["pullDateRescanMode"] = try Self.enumValue(object, "pullDateRescanMode", ["LAST_PULL_DATE", "LAST_IN_USE_AT"], path: "ecrConfiguration.pullDateRescanMode")
            try save(call, "ecrConfiguration", saved)
        }
        if let ec2 = input["ec2Configuration"] {
            guard let object = ec2 as? [String: Any], let mode = try Self.enumValue(object, "scanMode", ["EC2_SSM_AGENT_BASED", "EC2_HYBRID"], path: "ec2Configuration.scanMode") else {
                throw AWSError.constraint("ec2Configuration.scanMode", value: nil, "not be null")
            }
            try save(call, "ec2Configuration", ["scanMode": mode])
        }
        return [:]
    }

    func deepInspection(_ call: Call) throws -> [String: Any] {
        let (saved, _) = try stored(call, "ec2DeepInspection")
        return ["packagePaths": saved["packagePaths"] ?? [String](), "orgPackagePaths": [String](),
                "status": (saved["activated"] as? Bool ?? false) ? "ACTIVATED" : "DEACTIVATED"]
    }

    /// Deep-inspection paths as Inspector constrains them: at most 5, each matching its path pattern.
    func updateDeepInspection(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        var (saved, _) = try stored(call, "ec2DeepInspection")
        if let activate = input["activateDeepInspection"] {
            guard let flag = activate as? Bool else { throw AWSError.validation("activateDeepInspection must be a boolean", reason: "CANNOT_PARSE") }
            saved["activated"] = flag
        }
        if let paths = input["packagePaths"] {
            guard let list = paths as? [String], list.count <= 5 else {
                throw AWSError.constraint("packagePaths", value: paths, "have length less than or equal to 5")
            }
            let pattern = try Regex("^(?:/(?:\\.[-\\w]+|[-\\w]+(?:\\.[-\\w]+)?))+/?$")
            for path in list where path.isEmpty || path.count > 512 || (try? pattern.wholeMatch(in: path)) == nil {
                throw AWSError.constraint("packagePaths", value: path, "satisfy regular expression pattern")
            }
            saved["packagePaths"] = list
        }
        try save(call, "ec2DeepInspection", saved)
        return try deepInspection(call)
    }

    // MARK: Tags, encryption keys, free trials, usage

    /// Inspector's own resources are tagged by ARN; only ARNs of the caller's account in this region.
    func taggedARN(_ call: Call) throws -> String {
        guard let arn = call.parameters["resourceArn"], !arn.isEmpty, arn.count <= 1011 else {
            throw AWSError.constraint("resourceArn", value: call.parameters["resourceArn"], "have length between 1 and 1011")
        }
        let parts = arn.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count >= 6, parts[0] == "arn", parts[2] == "inspector2" else {
            throw AWSError.validation("'\(arn)' is not an inspector2 ARN", fields: [["name": "resourceArn", "message": "Invalid ARN"]])
        }
        guard parts[4] == Substring(call.principal.accountID), parts[3] == Substring(call.region) else {
            throw AWSError(status: 404, type: "ResourceNotFoundException", message: "Resource \(arn) was not found")
        }
        return arn
    }

    func tags(_ call: Call) throws -> [String: String] {
        let arn = try taggedARN(call)
        if let tags = try filterTags(call, arn: arn) { return tags }
        return (try stored(call, "tags:\(arn)").0 as? [String: String]) ?? [:]
    }

    func tagResource(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let arn = try taggedARN(call)
        guard let new = input["tags"] as? [String: String] else {
            throw AWSError.constraint("tags", value: nil, "not be null")
        }
        var current = try tags(call)
        current.merge(new) { $1 }
        guard current.count <= 50, current.allSatisfy({ (1...128).contains($0.key.count) && $0.value.count <= 256 && !$0.key.hasPrefix("aws:") }) else {
            throw AWSError.validation("Tags must number at most 50, with keys of 1 to 128 characters not starting with aws: and values of at most 256",
                                      fields: [["name": "tags", "message": "Invalid tags"]])
        }
        if try setFilterTags(call, arn: arn, current) { return [:] }
        try save(call, "tags:\(arn)", current)
        return [:]
    }

    func untagResource(_ call: Call) throws -> [String: Any] {
        let arn = try taggedARN(call)
        guard let keys = call.query["tagKeys"], !keys.isEmpty else {
            throw AWSError.constraint("tagKeys", value: nil, "not be null")
        }
        var current = try tags(call)
        for key in keys { current[key] = nil }
        if try setFilterTags(call, arn: arn, current) { return [:] }
        try save(call, "tags:\(arn)", current)
        return [:]
    }

    static let scanTypes = ["NETWORK", "PACKAGE", "CODE"]
    static let resourceTypeNames = ["AWS_EC2_INSTANCE", "AWS_ECR_CONTAINER_IMAGE", "AWS_ECR_REPOSITORY", "AWS_LAMBDA_FUNCTION", "CODE_REPOSITORY"]

    func keySlot(_ source: [String: Any]) throws -> String {
        guard let scan = try Self.enumValue(source, "scanType", Self.scanTypes, path: "scanType"),
              let resource = try Self.enumValue(source, "resourceType", Self.resourceTypeNames, path: "resourceType") else {
            throw AWSError.validation("scanType and resourceType are required", fields: [["name": "scanType", "message": "Member must not be null"]])
        }
        return "encryptionKey:\(scan):\(resource)"
    }

    /// The KMS key ARN recorded for a (scan type, resource type); Vigil seals its own data with its
    /// key file, so the recorded ARN is kept and reported, not used.
    func getEncryptionKey(_ call: Call) throws -> [String: Any] {
        let slot = try keySlot(call.query.compactMapValues(\.first))
        guard let key = try stored(call, slot).0["kmsKeyId"] as? String else {
            throw AWSError(status: 404, type: "ResourceNotFoundException", message: "No customer-managed key is set for this scan type and resource type")
        }
        return ["kmsKeyId": key]
    }

    func updateEncryptionKey(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let slot = try keySlot(input)
        guard let key = input["kmsKeyId"] as? String, (try? Regex("^arn:aws(-(us-gov|cn))?:kms:[a-z0-9-]+:[0-9]{12}:key/.+$").wholeMatch(in: key)) != nil else {
            throw AWSError.constraint("kmsKeyId", value: input["kmsKeyId"], "satisfy regular expression pattern")
        }
        try save(call, slot, ["kmsKeyId": key])
        return [:]
    }

    func resetEncryptionKey(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        try save(call, try keySlot(input), [:])
        return [:]
    }

    /// Vigil has no free trials: the caller's accounts have none; others are not visible.
    func freeTrialInfo(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        guard input["accountIds"] != nil else {
            throw AWSError.constraint("accountIds", value: nil, "not be null")
        }
        var accounts: [[String: Any]] = []
        var failed: [[String: Any]] = []
        for id in try accountIDs(call, input) {
            if id == call.principal.accountID {
                accounts.append(["accountId": id, "freeTrialInfo": [[String: Any]]()])
            } else {
                failed.append(["accountId": id, "code": "ACCESS_DENIED", "message": "Account \(id) is not visible to \(call.principal.accountID)"])
            }
        }
        return ["accounts": accounts, "failedAccounts": failed]
    }

    /// Nothing is metered: the caller's account with an empty usage list.
    func usageTotals(_ call: Call, _ input: [String: Any]) throws -> [String: Any] {
        let ids = try accountIDs(call, input).filter { $0 == call.principal.accountID }
        return ["totals": ids.map { ["accountId": $0, "usage": [[String: Any]]()] }]
    }
}
