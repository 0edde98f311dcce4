/// A package URL (purl, https://github.com/package-url/purl-spec): `pkg:type/namespace/name@version?qualifiers`.
public struct PackageURL: Hashable, Sendable, CustomStringConvertible {
    public var type: String
    public var namespace: String?
    public var name: String
    public var version: String?
    /// Sorted by key when written, as the specification requires.
    public var qualifiers: [String: String]

    public init(type: String, namespace: String? = nil, name: String, version: String? = nil, qualifiers: [String: String] = [:]) {
        self.type = type
        self.namespace = namespace
        self.name = name
        self.version = version
        self.qualifiers = qualifiers
    }

    public var description: String {
        var out = "pkg:" + type.lowercased() + "/"
        if let namespace, !namespace.isEmpty {
            out += namespace.split(separator: "/").map { Self.encode(String($0)) }.joined(separator: "/") + "/"
        }
        out += Self.encode(name)
        if let version { out += "@" + Self.encode(version) }
        let present = qualifiers.filter { !$0.value.isEmpty }
        if !present.isEmpty {
            out += "?" + present.keys.sorted().map { "\($0.lowercased())=\(Self.encode(present[$0] ?? ""))" }.joined(separator: "&")
        }
        return out
    }

    /// Percent-encodes everything but unreserved characters (and `:` which purl keeps readable).
    static func encode(_ text: String) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if byte < 0x80 && (c.isLetter || c.isNumber || "-._~:".contains(c)) {
                out.append(c)
            } else {
                out += "%" + String(byte, radix: 16, uppercase: true).leftPadded(2)
            }
        }
        return out
    }
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: "0", count: width - count) + self
    }
}
