/// One entry of an OSV record's `affected[].ranges`: a range type and its events.
public struct AffectedRange: Hashable, Sendable {
    /// OSV range types. `GIT` ranges name commits, which no installed package version can be
    /// placed against, so they are recognised but never evaluated.
    public enum Kind: Hashable, Sendable {
        case ecosystem, semver, git
        case other(String)

        /// Reads OSV's `type` field.
        public init(_ osvType: String) {
            switch osvType {
            case "ECOSYSTEM": self = .ecosystem
            case "SEMVER": self = .semver
            case "GIT": self = .git
            default: self = .other(osvType)
            }
        }

        public var osvName: String {
            switch self {
            case .ecosystem: "ECOSYSTEM"
            case .semver: "SEMVER"
            case .git: "GIT"
            case let .other(name): name
            }
        }
    }

    /// An OSV range event; `introduced: "0"` means "from the first version".
    public enum Event: Hashable, Sendable {
        case introduced(String)
        case fixed(String)
        case lastAffected(String)
        case limit(String)

        public var version: String {
            switch self {
            case let .introduced(v), let .fixed(v), let .lastAffected(v), let .limit(v): v
            }
        }
    }

    public var kind: Kind
    public var events: [Event]

    public init(kind: Kind, events: [Event]) {
        self.kind = kind
        self.events = events
    }
}

/// What an OSV `affected[]` entry says about versions: its ranges plus the explicit `versions` list.
public struct AffectedVersions: Hashable, Sendable {
    public var ranges: [AffectedRange]
    public var versions: [String]

    public init(ranges: [AffectedRange] = [], versions: [String] = []) {
        self.ranges = ranges
        self.versions = versions
    }
}
