import Foundation
import VigilCore

/// The version orderings Vigil knows, one per package-manager family.
public enum VersionScheme: String, CaseIterable, Hashable, Sendable {
    /// dpkg: Debian, Ubuntu.
    case dpkg
    /// rpm `epoch:version-release`: Red Hat, AlmaLinux, Rocky Linux, SUSE, openSUSE, Mageia, openEuler, Amazon Linux.
    case rpm
    /// apk-tools: Alpine, Wolfi, Chainguard.
    case apk
    /// PEP 440: PyPI.
    case pep440
    /// node-semver: npm.
    case npm
    /// Semantic Versioning 2.0.0: crates.io, Hex, Pub.
    case semver
    /// Go modules: SemVer with a `v` prefix, `+incompatible` and pseudo-versions.
    case go
    /// Maven's ComparableVersion.
    case maven
    /// RubyGems' Gem::Version.
    case rubygems
    /// NuGet.Versioning.
    case nuget
    /// Composer (Packagist): composer/semver normalisation then PHP's version_compare.
    case packagist

    /// A name for messages.
    public var displayName: String {
        switch self {
        case .dpkg: "dpkg"
        case .rpm: "rpm"
        case .apk: "apk"
        case .pep440: "PEP 440"
        case .npm: "npm semver"
        case .semver: "SemVer 2.0"
        case .go: "Go module"
        case .maven: "Maven"
        case .rubygems: "RubyGems"
        case .nuget: "NuGet"
        case .packagist: "Composer"
        }
    }

    /// The scheme for an OSV ecosystem (its family before any `:release`).
    /// - Throws: `VersionError.unsupportedEcosystem` for ecosystems without a known ordering.
    public init(ecosystem: Ecosystem) throws(VersionError) {
        switch ecosystem.name.lowercased() {
        case "debian", "ubuntu": self = .dpkg
        case "red hat", "almalinux", "rocky linux", "suse", "opensuse", "mageia", "openeuler",
             "amazon linux", "photon os", "azure linux", "mariner", "oracle linux", "fedora", "centos":
            self = .rpm
        case "alpine", "wolfi", "chainguard", "alpaquita", "bellsoft hardened containers", "minimos":
            self = .apk
        case "pypi": self = .pep440
        case "npm": self = .npm
        case "crates.io", "hex", "pub", "swifturl", "bitnami": self = .semver
        case "go": self = .go
        case "maven": self = .maven
        case "rubygems": self = .rubygems
        case "nuget": self = .nuget
        case "packagist": self = .packagist
        default: throw .unsupportedEcosystem(ecosystem.description)
        }
    }

    /// The Swift type implementing this scheme.
    public var versionType: any EcosystemVersion.Type {
        switch self {
        case .dpkg: DpkgVersion.self
        case .rpm: RpmVersion.self
        case .apk: ApkVersion.self
        case .pep440: PEP440Version.self
        case .npm: NpmVersion.self
        case .semver: SemanticVersion.self
        case .go: GoVersion.self
        case .maven: MavenVersion.self
        case .rubygems: RubyGemsVersion.self
        case .nuget: NuGetVersion.self
        case .packagist: ComposerVersion.self
        }
    }

    /// Orders two version strings.
    /// - Throws: `VersionError.invalid` naming the first of the two that does not parse.
    public func compare(_ a: String, _ b: String) throws(VersionError) -> ComparisonResult {
        try Self.compare(versionType, a, b)
    }

    /// Checks that `text` parses in this scheme.
    /// - Throws: `VersionError.invalid` with the reason.
    public func validate(_ text: String) throws(VersionError) {
        _ = try versionType.init(parsing: text)
    }

    private static func compare<V: EcosystemVersion>(
        _ type: V.Type, _ a: String, _ b: String
    ) throws(VersionError) -> ComparisonResult {
        let left = try V(parsing: a)
        let right = try V(parsing: b)
        return left < right ? .orderedAscending : (right < left ? .orderedDescending : .orderedSame)
    }
}

extension ComparisonResult {
    /// `<`, `=` or `>`, as `vigil versions compare` prints it.
    public var symbol: String {
        switch self {
        case .orderedAscending: "<"
        case .orderedSame: "="
        case .orderedDescending: ">"
        }
    }
}
