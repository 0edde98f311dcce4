/// One operation of the served APIs: where it lives on the wire (from botocore's models).
struct OperationSpec: Sendable {
    let service: String
    let name: String
    let method: String
    /// The request URI template: `/tags/{resourceArn}`; `{label+}` takes the rest of the path.
    let path: String
    let successCode: Int
    /// The model's input and output shape names.
    var input: String? = nil
    var output: String? = nil

    /// The operation a request is for, with its path parameters (percent-decoded).
    static func route(method: String, path rawPath: String) -> (OperationSpec, [String: String])? {
        let segments = rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        for spec in all where spec.method == method {
            if let parameters = spec.match(segments) { return (spec, parameters) }
        }
        return nil
    }

    /// Whether any operation lives at this path, with another method (for a 405-style answer).
    static func exists(path rawPath: String) -> Bool {
        let segments = rawPath.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        return all.contains { $0.match(segments) != nil }
    }

    func match(_ segments: [String]) -> [String: String]? {
        let template = path.split(separator: "?").first.map(String.init) ?? path
        let parts = template.split(separator: "/", omittingEmptySubsequences: false).dropFirst().map(String.init)
        var parameters: [String: String] = [:]
        var k = 0
        for (n, part) in parts.enumerated() {
            if part.hasPrefix("{") && part.hasSuffix("+}") {
                guard k < segments.count else { return nil }
                parameters[String(part.dropFirst().dropLast(2))] = segments[k...].joined(separator: "/").removingPercentEncoding
                return n == parts.count - 1 ? parameters : nil
            }
            guard k < segments.count else { return nil }
            if part.hasPrefix("{") && part.hasSuffix("}") {
                guard !segments[k].isEmpty else { return nil }
                parameters[String(part.dropFirst().dropLast())] = segments[k].removingPercentEncoding ?? segments[k]
            } else if part != segments[k] {
                return nil
            }
            k += 1
        }
        return k == segments.count ? parameters : nil
    }
}
