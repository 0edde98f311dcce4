import Foundation

/// The `[[package]]` tables of a lockfile written in TOML (Cargo.lock, poetry.lock, uv.lock): each
/// table's top-level `key = "string"` pairs. Nested tables and arrays are skipped; that is all these
/// lockfiles need for a package's name, version and source.
enum TOMLPackageTables {
    static func parse(_ text: String) -> [[String: String]] {
        var tables: [[String: String]] = []
        var current: [String: String]?
        for line in text.split(whereSeparator: \.isNewline) {
            let trimmed = line.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("[") {
                if let current { tables.append(current) }
                current = trimmed == "[[package]]" ? [:] : nil
                continue
            }
            guard current != nil, let eq = trimmed.firstIndex(of: "=") else { continue }
            let key = trimmed[..<eq].trimmingCharacters(in: .whitespaces)
            let value = trimmed[trimmed.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            if value.count >= 2, value.hasPrefix("\""), value.hasSuffix("\"") { current?[key] = String(value.dropFirst().dropLast()) }
        }
        if let current { tables.append(current) }
        return tables
    }
}
