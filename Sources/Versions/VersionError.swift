/// Why a version string could not be parsed or compared.
public enum VersionError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The text is not a version in `scheme`; `reason` says what is wrong with it.
    case invalid(version: String, scheme: VersionScheme, reason: String)
    /// No version ordering is known for this OSV ecosystem.
    case unsupportedEcosystem(String)

    public var description: String {
        switch self {
        case let .invalid(version, scheme, reason):
            return "invalid \(scheme.displayName) version '\(version)': \(reason)"
        case let .unsupportedEcosystem(name):
            return "no version ordering is known for ecosystem '\(name)'"
        }
    }
}
