import Foundation

/// Debian control-file stanzas (`Field: value`, continuation lines start with a space, stanzas are
/// separated by blank lines), as dpkg's `status` and distroless `status.d/*` files hold them.
enum ControlFile {
    static func stanzas(_ text: String) -> [[String: String]] {
        var stanzas: [[String: String]] = []
        var current: [String: String] = [:]
        var lastKey: String?
        for rawLine in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.allSatisfy({ $0 == " " || $0 == "\t" }) {
                if !current.isEmpty { stanzas.append(current) }
                current = [:]
                lastKey = nil
            } else if line.first == " " || line.first == "\t" {
                if let lastKey { current[lastKey, default: ""] += "\n" + line.dropFirst() }
            } else if let colon = line.firstIndex(of: ":") {
                let key = String(line[..<colon])
                current[key] = line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces)
                lastKey = key
            }
        }
        if !current.isEmpty { stanzas.append(current) }
        return stanzas
    }
}
