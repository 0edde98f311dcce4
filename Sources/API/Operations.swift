import Foundation
import Storage

/// The operations this server implements; every other routed operation answers `NotImplemented`.
struct Operations: Sendable {
    struct Call {
        var spec: OperationSpec
        var parameters: [String: String]
        var body: Data
        var principal: ServiceStore.Principal
        var region: String
    }

    let store: ServiceStore

    func perform(_ call: Call) throws(AWSError) -> (Int, Data) {
        let input = try Self.object(call.body)
        let output: [String: Any]
        do {
            switch call.spec.name {
            case "Enable": output = try enable(call, input)
            case "Disable": output = try disable(call, input)
            case "BatchGetAccountStatus": output = try batchGetAccountStatus(call, input)
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
            throw AWSError.validation("1 validation error detected: Value at 'accountIds' failed to satisfy constraint: Member must have length less than or equal to 100",
                                      fields: [["name": "accountIds", "message": "Member must have length less than or equal to 100"]])
        }
        for id in list where id.count != 12 || !id.allSatisfy(\.isNumber) {
            throw AWSError.validation("1 validation error detected: Value '\(id)' at 'accountIds' failed to satisfy constraint: Member must satisfy regular expression pattern: [0-9]{12}",
                                      fields: [["name": "accountIds", "message": "Member must satisfy regular expression pattern: [0-9]{12}"]])
        }
        return list
    }

    func resourceTypes(_ input: [String: Any], required: Bool) throws -> [String] {
        guard let value = input["resourceTypes"] else {
            if required {
                throw AWSError.validation("1 validation error detected: Value null at 'resourceTypes' failed to satisfy constraint: Member must not be null",
                                          fields: [["name": "resourceTypes", "message": "Member must not be null"]])
            }
            return ServiceStore.resourceTypes
        }
        guard let list = value as? [String], !list.isEmpty else {
            throw AWSError.validation("1 validation error detected: Value at 'resourceTypes' failed to satisfy constraint: Member must have length greater than or equal to 1",
                                      fields: [["name": "resourceTypes", "message": "Member must have length greater than or equal to 1"]])
        }
        for type in list where !ServiceStore.resourceTypes.contains(type) {
            throw AWSError.validation("1 validation error detected: Value '\(type)' at 'resourceTypes' failed to satisfy constraint: Member must satisfy enum value set: [\(ServiceStore.resourceTypes.joined(separator: ", "))]",
                                      fields: [["name": "resourceTypes", "message": "Member must satisfy enum value set"]])
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
            for (type, key) in Self.statusKeys { resourceState[key] = ["status": status[type] ?? "DISABLED"] }
            accounts.append(["accountId": id, "state": ["status": status.values.contains("ENABLED") ? "ENABLED" : "DISABLED"], "resourceState": resourceState])
        }
        return ["accounts": accounts, "failedAccounts": failed]
    }
}
