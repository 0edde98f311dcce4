/// A parsed version of one ecosystem, ordered exactly as that ecosystem's package manager orders it.
///
/// Equality is the package manager's equality (`1.0` and `1.0.0` are equal for Maven and NuGet),
/// not textual equality; `description` returns the text it was parsed from.
public protocol EcosystemVersion: Comparable, Hashable, Sendable, CustomStringConvertible {
    /// The scheme this type implements, used in error messages.
    static var scheme: VersionScheme { get }
    /// Parses `text`.
    /// - Throws: `VersionError.invalid` naming the text and what is wrong with it.
    init(parsing text: String) throws(VersionError)
}

extension EcosystemVersion {
    /// Makes the error for `text` being unparsable in this scheme.
    static func invalid(_ text: String, _ reason: String) -> VersionError {
        .invalid(version: text, scheme: scheme, reason: reason)
    }
}
