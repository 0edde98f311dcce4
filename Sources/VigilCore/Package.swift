/// Inspector's `packageManager` values: which manager or file a package was found through.
public enum PackageManager: String, CaseIterable, Hashable, Sendable, Codable {
    case os = "OS"
    case pythonPackage = "PYTHONPKG"
    case pip = "PIP"
    case poetry = "POETRY"
    case pipenv = "PIPENV"
    case nodePackage = "NODEPKG"
    case npm = "NPM"
    case yarn = "YARN"
    case jar = "JAR"
    case pom = "POM"
    case goBinary = "GOBINARY"
    case goModule = "GOMOD"
    case cargo = "CARGO"
    case gemspec = "GEMSPEC"
    case bundler = "BUNDLER"
    case dotnetCore = "DOTNET_CORE"
    case nuget = "NUGET"
    case composer = "COMPOSER"
}

/// One installed package found in an artifact.
public struct Package: Hashable, Sendable, Codable {
    public var name: String
    public var version: String
    /// The OSV ecosystem advisories are matched in (`Debian:12`, `PyPI`, ...).
    public var ecosystem: String
    public var purl: String
    /// Where it was found, relative to the artifact's root (`/var/lib/dpkg/status`).
    public var path: String
    public var packageManager: PackageManager
    /// For OS packages: the source package advisories are published under, and its version.
    public var sourceName: String?
    public var sourceVersion: String?
    public var architecture: String?
    /// For images: the digest of the layer that introduced it.
    public var layer: String?

    public init(
        name: String, version: String, ecosystem: String, purl: String, path: String, packageManager: PackageManager,
        sourceName: String? = nil, sourceVersion: String? = nil, architecture: String? = nil, layer: String? = nil
    ) {
        self.name = name
        self.version = version
        self.ecosystem = ecosystem
        self.purl = purl
        self.path = path
        self.packageManager = packageManager
        self.sourceName = sourceName
        self.sourceVersion = sourceVersion
        self.architecture = architecture
        self.layer = layer
    }
}
