/// Why a CVSS vector could not be scored.
public struct CVSSError: Error, Hashable, Sendable, CustomStringConvertible {
    public var vector: String
    public var reason: String

    public var description: String { "invalid CVSS vector '\(vector)': \(reason)" }
}

/// Splits `K:V/K:V` metrics, rejecting unknown keys, unknown values, repeats and missing base metrics.
func parseMetrics(
    _ vector: String, body: Substring, allowed: [String: Set<String>], required: [String]
) throws(CVSSError) -> [String: String] {
    var metrics: [String: String] = [:]
    for part in body.split(separator: "/", omittingEmptySubsequences: false) {
        let pair = part.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
        guard pair.count == 2 else { throw CVSSError(vector: vector, reason: "'\(part)' is not METRIC:VALUE") }
        let (key, value) = (String(pair[0]), String(pair[1]))
        guard let values = allowed[key] else { throw CVSSError(vector: vector, reason: "unknown metric '\(key)'") }
        guard values.contains(value) else { throw CVSSError(vector: vector, reason: "'\(value)' is not a value of \(key)") }
        guard metrics.updateValue(value, forKey: key) == nil else { throw CVSSError(vector: vector, reason: "metric \(key) appears twice") }
    }
    for key in required where metrics[key] == nil {
        throw CVSSError(vector: vector, reason: "base metric \(key) is missing")
    }
    return metrics
}
