/// Why the advisory database could not be read or updated. The previous database is always left as it was.
public enum AdvisoryStoreError: Error, Sendable, CustomStringConvertible {
    case noDatabase(path: String)
    case unreadableInput(source: String, reason: String)
    case unrecognisedInput(source: String)
    case download(url: String, reason: String)
    case database(String)
    case busy(path: String)

    public var description: String {
        switch self {
        case let .noDatabase(path): "no advisory database at \(path): run 'vigil db update' or 'vigil db import'"
        case let .unreadableInput(source, reason): "\(source): \(reason)"
        case let .unrecognisedInput(source): "\(source): not an OSV record, directory or zip, a KEV catalog or an EPSS CSV"
        case let .download(url, reason): "\(url): download failed: \(reason)"
        case let .database(message): "advisory database: \(message)"
        case let .busy(path): "another update of \(path) is running"
        }
    }
}
