/// The distribution an artifact runs, as far as its files say.
public struct OperatingSystem: Hashable, Sendable, Codable {
    /// os-release `ID` (`debian`, `ubuntu`, `alpine`, `almalinux`, ...).
    public var id: String
    public var name: String
    public var version: String?
    public var codename: String?
    /// The OSV ecosystem its packages' advisories live in (`Debian:12`, `Alpine:v3.19`), or nil when
    /// Vigil does not know the distribution or cannot tell the release: reported, not guessed.
    public var ecosystem: String?
    /// Why `ecosystem` is nil, when it is.
    public var note: String?
}
