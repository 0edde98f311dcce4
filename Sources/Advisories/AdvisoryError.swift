/// Why advisory data could not be read. Each case names its source (file, zip entry, URL, line).
public enum AdvisoryError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformedRecord(source: String, reason: String)
    case malformedFeed(source: String, reason: String)

    public var description: String {
        switch self {
        case let .malformedRecord(source, reason): "\(source): malformed OSV record: \(reason)"
        case let .malformedFeed(source, reason): "\(source): \(reason)"
        }
    }
}
