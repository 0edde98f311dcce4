import Foundation

/// IAM-style policies: statements with `Effect` Allow or Deny, `Action` and `Resource` (a string or a
/// list, `*` and `?` wildcards; actions compare without case, resources with it). A request is
/// allowed when some statement allows it and none denies it: an explicit Deny wins, and what no
/// statement mentions is denied. `full` and `read-only` name the built-in policies.
public struct Policy: Sendable {
    public struct Statement: Sendable {
        public var allow: Bool
        public var actions: [String]
        public var resources: [String]
    }

    public var statements: [Statement]

    public static let full = Policy(statements: [Statement(allow: true, actions: ["inspector2:*", "inspector-scan:*", "vigil:*"], resources: ["*"])])
    public static let readOnly = Policy(statements: [Statement(
        allow: true,
        actions: ["inspector2:List*", "inspector2:Get*", "inspector2:BatchGet*", "inspector2:Search*", "inspector2:Describe*", "inspector-scan:ScanSbom", "vigil:Get*"],
        resources: ["*"]
    )])

    public init(statements: [Statement]) {
        self.statements = statements
    }

    /// A built-in name, or a JSON policy document; nil when the text is neither. Documents are
    /// parsed once and remembered: every request of a key asks again.
    public init?(_ text: String) {
        switch text {
        case "full": self = .full
        case "read-only": self = .readOnly
        default:
            if let known = Self.parsed.get(text) {
                self = known
                return
            }
            guard let parsed = try? Self.parse(Data(text.utf8)) else { return nil }
            Self.parsed.set(text, parsed)
            self = parsed
        }
    }

    static let parsed = ParsedPolicies()

    public struct PolicyError: Error, CustomStringConvertible {
        public let description: String
    }

    /// Parses a policy document, naming what is wrong with it.
    public static func parse(_ data: Data) throws -> Policy {
        guard let document = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw PolicyError(description: "not a JSON object")
        }
        let raw = document["Statement"]
        guard let list = (raw as? [[String: Any]]) ?? (raw as? [String: Any]).map({ [$0] }), !list.isEmpty else {
            throw PolicyError(description: "no Statement")
        }
        func strings(_ value: Any?, _ name: String, _ n: Int) throws -> [String] {
            if let one = value as? String { return [one] }
            if let many = value as? [String], !many.isEmpty { return many }
            throw PolicyError(description: "statement \(n + 1): \(name) must be a string or a list of strings")
        }
        return Policy(statements: try list.enumerated().map { n, statement in
            guard let effect = statement["Effect"] as? String, effect == "Allow" || effect == "Deny" else {
                throw PolicyError(description: "statement \(n + 1): Effect must be Allow or Deny")
            }
            return Statement(allow: effect == "Allow", actions: try strings(statement["Action"], "Action", n),
                             resources: try strings(statement["Resource"] ?? "*", "Resource", n))
        })
    }

    public func allows(action: String, resource: String) -> Bool {
        var allowed = false
        for statement in statements {
            guard statement.actions.contains(where: { Self.glob($0.lowercased(), action.lowercased()) }),
                  statement.resources.contains(where: { Self.glob($0, resource) }) else { continue }
            if !statement.allow { return false }
            allowed = true
        }
        return allowed
    }

    /// `*` matches any run of characters, `?` any one.
    static func glob(_ pattern: String, _ text: String) -> Bool {
        let p = Array(pattern.utf8), t = Array(text.utf8)
        var pi = 0, ti = 0, star = -1, mark = 0
        while ti < t.count {
            if pi < p.count && (p[pi] == UInt8(ascii: "?") || p[pi] == t[ti]) {
                pi += 1
                ti += 1
            } else if pi < p.count && p[pi] == UInt8(ascii: "*") {
                star = pi
                mark = ti
                pi += 1
            } else if star >= 0 {
                pi = star + 1
                mark += 1
                ti = mark
            } else {
                return false
            }
        }
        while pi < p.count && p[pi] == UInt8(ascii: "*") { pi += 1 }
        return pi == p.count
    }
}

final class ParsedPolicies: @unchecked Sendable {
    private var map: [String: Policy] = [:]
    private let lock = NSLock()

    func get(_ text: String) -> Policy? { lock.withLock { map[text] } }

    func set(_ text: String, _ policy: Policy) {
        lock.withLock {
            if map.count >= 10_000 { map.removeAll(keepingCapacity: true) }
            map[text] = policy
        }
    }
}
