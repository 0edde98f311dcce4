import Advisories
import Foundation

/// An arbitrary JSON document (the model's document shapes, such as ScanSbom's `sbom`).
public typealias JSONDocument = JSONValue

/// One shape of the service models, as far as request validation needs it (the table is generated
/// into `Generated/ModelShapes.swift`).
struct ModelShape: Sendable {
    enum Kind: Sendable {
        case structure, list, map, string, integer, long, double, float, boolean, timestamp, blob, document
    }

    struct Member: Sendable {
        var name: String
        var shape: String
        /// `uri`, `querystring` or `header` for members not in the JSON body.
        var location: String? = nil
        var locationName: String? = nil
    }

    var kind: Kind
    var members: [Member] = []
    var required: [String] = []
    var union = false
    /// A list's element shape, or a map's value shape.
    var key: String? = nil
    var element: String? = nil
    var min: Double? = nil
    var max: Double? = nil
    var pattern: String? = nil
    var enumValues: [String]? = nil
}

/// Checks a request against its input shape's constraints (required members, types, lengths,
/// value ranges, patterns, enums, unions) and reports every violation in AWS's words:
/// `2 validation errors detected: Value 'x' at 'a.b' failed to satisfy constraint: Member must …; …`.
enum ModelValidator {
    /// Every violation under `value` as (field path, shown value, constraint).
    static func violations(_ value: Any?, shape name: String, at path: String) -> [(String, Any?, String)] {
        guard let shape = ModelShape.all[name] else { return [] }
        guard let value, !(value is NSNull) else { return [] }
        var found: [(String, Any?, String)] = []
        func fail(_ constraint: String) { found.append((path, value, constraint)) }
        switch shape.kind {
        case .structure:
            guard let object = value as? [String: Any] else { fail("be an object"); return found }
            for required in shape.required where object[required] == nil || object[required] is NSNull {
                found.append((join(path, required), nil, "not be null"))
            }
            let known = Set(shape.members.map(\.name))
            for key in object.keys.sorted() where !known.contains(key) {
                found.append((join(path, key), nil, "be a member of \(name)"))
            }
            if shape.union && object.values.filter({ !($0 is NSNull) }).count != 1 {
                fail("have exactly one member set")
            }
            for member in shape.members {
                found += violations(object[member.name], shape: member.shape, at: join(path, member.name))
            }
        case .list:
            guard let list = value as? [Any] else { fail("be a list"); return found }
            checkLength(list.count, shape, fail)
            for (n, element) in list.enumerated() {
                found += violations(element, shape: shape.element ?? "", at: "\(path).\(n + 1).member")
            }
        case .map:
            guard let map = value as? [String: Any] else { fail("be a map"); return found }
            checkLength(map.count, shape, fail)
            for key in map.keys.sorted() {
                found += violations(key, shape: shape.key ?? "", at: "\(path).\(key).key")
                found += violations(map[key], shape: shape.element ?? "", at: "\(path).\(key).value")
            }
        case .string:
            guard let text = value as? String else { fail("be a string"); return found }
            if let values = shape.enumValues, !values.contains(text) {
                fail("satisfy enum value set: [\(values.joined(separator: ", "))]")
                return found
            }
            // One violation per value: a wrong length is reported before the pattern.
            let before = found.count
            checkLength(text.count, shape, fail)
            if found.count == before, let pattern = shape.pattern, !Patterns.shared.matches(pattern, text) {
                fail("satisfy regular expression pattern: \(pattern)")
            }
        case .integer, .long:
            guard let number = value as? NSNumber, !isBoolean(number), number.doubleValue.rounded() == number.doubleValue else {
                fail("be an integer"); return found
            }
            checkRange(number.doubleValue, shape, fail)
        case .double, .float:
            guard let number = value as? NSNumber, !isBoolean(number) else { fail("be a number"); return found }
            checkRange(number.doubleValue, shape, fail)
        case .boolean:
            guard let number = value as? NSNumber, isBoolean(number) else { fail("be a boolean"); return found }
        case .timestamp:
            guard let number = value as? NSNumber, !isBoolean(number) else { fail("be a timestamp in epoch seconds"); return found }
        case .blob:
            guard let text = value as? String, Data(base64Encoded: text) != nil else { fail("be base64-encoded data"); return found }
        case .document:
            break
        }
        return found
    }

    /// Throws the ValidationException for `input` against `shape`, if it has any violation.
    static func validate(_ input: [String: Any], shape: String) throws(AWSError) {
        let found = violations(input, shape: shape, at: "")
        guard !found.isEmpty else { return }
        let parts = found.map { field, value, constraint in
            "\(value.map { "Value '\(shown($0))'" } ?? "Value null") at '\(field)' failed to satisfy constraint: Member must \(constraint)"
        }
        let count = found.count == 1 ? "1 validation error detected" : "\(found.count) validation errors detected"
        throw AWSError.validation("\(count): \(parts.joined(separator: "; "))",
                                  fields: found.map { ["name": $0.0, "message": "Member must \($0.2)"] })
    }

    private static func join(_ path: String, _ name: String) -> String { path.isEmpty ? name : "\(path).\(name)" }

    private static func shown(_ value: Any) -> String {
        if let text = value as? String { return text.count > 256 ? String(text.prefix(256)) + "…" : text }
        if let data = try? JSONSerialization.data(withJSONObject: value, options: [.sortedKeys, .fragmentsAllowed]) {
            let text = String(decoding: data, as: UTF8.self)
            return text.count > 256 ? String(text.prefix(256)) + "…" : text
        }
        return "\(value)"
    }

    /// JSON's true and false arrive as boolean NSNumbers (`objCType` "c"); numbers never do.
    private static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    private static func checkLength(_ count: Int, _ shape: ModelShape, _ fail: (String) -> Void) {
        if let min = shape.min, Double(count) < min { fail("have length greater than or equal to \(Int(min))") }
        if let max = shape.max, Double(count) > max { fail("have length less than or equal to \(Int(max))") }
    }

    private static func checkRange(_ value: Double, _ shape: ModelShape, _ fail: (String) -> Void) {
        if let min = shape.min, value < min { fail("have value greater than or equal to \(format(min))") }
        if let max = shape.max, value > max { fail("have value less than or equal to \(format(max))") }
    }

    private static func format(_ value: Double) -> String { value.rounded() == value ? String(Int(value)) : String(value) }

    /// The operation's input as one object: the JSON body's members, then the members the model
    /// binds to the path and query string (numbers and lists converted from their text).
    static func input(for spec: OperationSpec, body: [String: Any], parameters: [String: String], query: [String: [String]]) -> [String: Any] {
        guard let name = spec.input, let shape = ModelShape.all[name] else { return body }
        var input = body
        for member in shape.members {
            let raw: [String]?
            switch member.location {
            case "uri": raw = parameters[member.locationName ?? member.name].map { [$0] }
            case "querystring": raw = query[member.locationName ?? member.name]
            default: continue
            }
            guard let raw, let first = raw.first else { continue }
            switch ModelShape.all[member.shape]?.kind {
            case .list: input[member.name] = raw
            case .integer, .long: input[member.name] = Int(first).map { $0 as Any } ?? first
            case .boolean: input[member.name] = first == "true" ? true : (first == "false" ? false : first as Any)
            default: input[member.name] = first
            }
        }
        return input
    }
}

/// Compiled model patterns (the model writes them for a search, not a whole match, as Smithy does).
final class Patterns: @unchecked Sendable {
    static let shared = Patterns()
    private var compiled: [String: NSRegularExpression] = [:]
    private let lock = NSLock()

    func matches(_ pattern: String, _ text: String) -> Bool {
        let expression: NSRegularExpression? = lock.withLock {
            if let known = compiled[pattern] { return known }
            let made = try? NSRegularExpression(pattern: pattern)
            if let made { compiled[pattern] = made }
            return made
        }
        // A pattern NSRegularExpression cannot read is not held against the caller.
        guard let expression else { return true }
        return expression.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil
    }
}
