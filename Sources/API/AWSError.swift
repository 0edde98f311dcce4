import Foundation

/// An error answered the way AWS's rest-json services answer: the status, the `x-amzn-ErrorType`
/// header and a JSON body with `message` (and for validation, `reason` and `fields`).
struct AWSError: Error, Sendable {
    let status: Int
    let type: String
    let message: String
    var reason: String?
    var fields: [[String: String]]?

    static func validation(_ message: String, fields: [[String: String]] = [], reason: String = "FIELD_VALIDATION_FAILED") -> AWSError {
        AWSError(status: 400, type: "ValidationException", message: message, reason: reason, fields: fields.isEmpty ? nil : fields)
    }

    /// `1 validation error detected: Value 'V' at 'FIELD' failed to satisfy constraint: Member must …`,
    /// as AWS words a single failed model constraint.
    static func constraint(_ field: String, value: Any?, _ constraint: String) -> AWSError {
        let shown = value.map { "Value '\($0)'" } ?? "Value null"
        return validation("1 validation error detected: \(shown) at '\(field)' failed to satisfy constraint: Member must \(constraint)",
                          fields: [["name": field, "message": "Member must \(constraint)"]])
    }

    static func accessDenied(_ message: String) -> AWSError { AWSError(status: 403, type: "AccessDeniedException", message: message) }

    static func notImplemented(_ operation: String) -> AWSError {
        AWSError(status: 501, type: "NotImplemented", message: "\(operation) is not implemented by this Vigil server yet")
    }

    static func `internal`(_ message: String) -> AWSError { AWSError(status: 500, type: "InternalServerException", message: message) }

    var body: Data {
        var object: [String: Any] = ["message": message]
        if let reason { object["reason"] = reason }
        if let fields { object["fields"] = fields }
        return (try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])) ?? Data()
    }
}
