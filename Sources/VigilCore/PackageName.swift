/// Package-name normalisation per ecosystem, so that an installed package and an advisory about it
/// meet under the same key whatever spelling each source used.
public enum PackageName {
    /// The canonical form of `name` in `ecosystem`.
    ///
    /// - PyPI: PEP 503 (lowercase, runs of `-`, `_`, `.` become one `-`).
    /// - crates.io: lowercase, `_` and `-` are the same crate name.
    /// - NuGet, Packagist, Hex, Pub, Debian, Ubuntu, Alpine and its relatives: lowercase.
    /// - npm, Maven (`group:artifact`), Go module paths, RubyGems and RPM names are case-sensitive
    ///   and are only trimmed (npm's legacy capitalised packages such as `Axios` are distinct packages).
    public static func normalized(_ name: String, ecosystem: Ecosystem) -> String {
        let trimmed = name.trimmingWhitespace()
        switch ecosystem.name.lowercased() {
        case "pypi":
            var out = ""
            var pendingSeparator = false
            for c in trimmed.lowercased() {
                if c == "-" || c == "_" || c == "." {
                    pendingSeparator = true
                } else {
                    if pendingSeparator && !out.isEmpty { out.append("-") }
                    pendingSeparator = false
                    out.append(c)
                }
            }
            return out
        case "crates.io":
            return String(trimmed.lowercased().map { $0 == "_" ? "-" : $0 })
        case "nuget", "packagist", "hex", "pub", "debian", "ubuntu", "alpine", "wolfi", "chainguard":
            return trimmed.lowercased()
        default:
            return trimmed
        }
    }
}

extension String {
    /// Without leading and trailing spaces, tabs and newlines.
    func trimmingWhitespace() -> String {
        let isSpace: (Character) -> Bool = { $0 == " " || $0 == "\t" || $0 == "\n" || $0 == "\r" }
        guard let first = firstIndex(where: { !isSpace($0) }), let last = lastIndex(where: { !isSpace($0) }) else { return "" }
        return String(self[first...last])
    }
}
