/// An OSV ecosystem name such as `PyPI`, `Debian:12` or `Ubuntu:Pro:18.04:LTS`.
///
/// OSV writes distribution ecosystems as `Name:Release` (the release may itself contain colons);
/// everything before the first colon names the ecosystem family that decides version ordering and
/// package naming, the rest narrows advisories to one release.
public struct Ecosystem: Hashable, Sendable, CustomStringConvertible {
    /// The family, e.g. `Debian`, `Alpine`, `PyPI`.
    public let name: String
    /// The release qualifier after the first colon, e.g. `12`, `v3.19`, `22.04:LTS`; nil when absent.
    public let release: String?

    /// Splits an OSV ecosystem string at its first colon.
    public init(_ text: String) {
        if let colon = text.firstIndex(of: ":") {
            name = String(text[..<colon])
            let rest = text[text.index(after: colon)...]
            release = rest.isEmpty ? nil : String(rest)
        } else {
            name = text
            release = nil
        }
    }

    public init(name: String, release: String?) {
        self.name = name
        self.release = release
    }

    public var description: String {
        guard let release else { return name }
        return "\(name):\(release)"
    }
}

extension Ecosystem {
    public static let debian = Ecosystem("Debian")
    public static let ubuntu = Ecosystem("Ubuntu")
    public static let alpine = Ecosystem("Alpine")
    public static let pypi = Ecosystem("PyPI")
    public static let npm = Ecosystem("npm")
    public static let go = Ecosystem("Go")
    public static let cratesIO = Ecosystem("crates.io")
    public static let maven = Ecosystem("Maven")
    public static let rubyGems = Ecosystem("RubyGems")
    public static let nuget = Ecosystem("NuGet")
    public static let packagist = Ecosystem("Packagist")
}
