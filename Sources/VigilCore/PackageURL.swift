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

    /// Parses `pkg:type/namespace/name@version?qualifiers#subpath` (the subpath is dropped); nil when
    /// the text is not a purl with at least a type and a name.
    public init?(parsing text: String) {
        guard text.lowercased().hasPrefix("pkg:") else { return nil }
        var rest = Substring(text.dropFirst(4))
        while rest.hasPrefix("/") { rest = rest.dropFirst() }
        if let hash = rest.firstIndex(of: "#") { rest = rest[..<hash] }
        var qualifiers: [String: String] = [:]
        if let question = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: question)...].split(separator: "&") {
                guard let eq = pair.firstIndex(of: "=") else { continue }
                qualifiers[pair[..<eq].lowercased()] = Self.decode(pair[pair.index(after: eq)...])
            }
            rest = rest[..<question]
        }
        var version: String?
        if let at = rest.lastIndex(of: "@"), let slash = rest.firstIndex(of: "/"), at > slash {
            version = Self.decode(rest[rest.index(after: at)...])
            rest = rest[..<at]
        }
        var segments = rest.split(separator: "/", omittingEmptySubsequences: true)
        guard segments.count >= 2, let type = segments.first, let name = segments.last else { return nil }
        segments.removeFirst()
        segments.removeLast()
        self.init(type: type.lowercased(), namespace: segments.isEmpty ? nil : segments.map { Self.decode($0) }.joined(separator: "/"),
                  name: Self.decode(name), version: version, qualifiers: qualifiers)
        guard !self.name.isEmpty else { return nil }
    }

    static func decode(_ text: Substring) -> String {
        guard text.contains("%") else { return String(text) }
        var bytes: [UInt8] = []
        var i = text.utf8.startIndex
        let utf8 = text.utf8
        while i < utf8.endIndex {
            let byte = utf8[i]
            if byte == UInt8(ascii: "%"), let h1 = utf8.index(i, offsetBy: 1, limitedBy: utf8.endIndex), h1 < utf8.endIndex,
               let h2 = utf8.index(i, offsetBy: 2, limitedBy: utf8.endIndex), h2 < utf8.endIndex,
               let value = UInt8(String(decoding: [utf8[h1], utf8[h2]], as: UTF8.self), radix: 16) {
                bytes.append(value)
                i = utf8.index(i, offsetBy: 3)
            } else {
                bytes.append(byte)
                i = utf8.index(after: i)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
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
