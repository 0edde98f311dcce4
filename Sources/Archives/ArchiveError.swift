/// Why an archive could not be read. Every case names the archive (and entry) so the user can act.
public enum ArchiveError: Error, Hashable, Sendable, CustomStringConvertible {
    case notAnArchive(source: String, expected: String)
    case corrupt(source: String, reason: String)
    case tooLarge(source: String, limit: Int64)
    case tooManyEntries(source: String, limit: Int)

    public var description: String {
        switch self {
        case let .notAnArchive(source, expected): "\(source): not a \(expected) archive"
        case let .corrupt(source, reason): "\(source): corrupt archive: \(reason)"
        case let .tooLarge(source, limit): "\(source): expands beyond the \(limit)-byte limit"
        case let .tooManyEntries(source, limit): "\(source): more than \(limit) entries"
        }
    }
}

/// Bounds applied to every archive read, because archives are hostile input.
public struct ArchiveLimits: Hashable, Sendable {
    /// Largest uncompressed size of one entry (or of a gzip stream).
    public var maxEntrySize: Int64
    /// Largest total uncompressed size of all entries read from one archive.
    public var maxTotalSize: Int64
    /// Most entries read from one archive.
    public var maxEntries: Int

    public init(maxEntrySize: Int64 = 256 << 20, maxTotalSize: Int64 = 8 << 30, maxEntries: Int = 2_000_000) {
        self.maxEntrySize = maxEntrySize
        self.maxTotalSize = maxTotalSize
        self.maxEntries = maxEntries
    }
}
