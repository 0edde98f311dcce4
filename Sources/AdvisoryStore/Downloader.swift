import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// Fetches advisory feeds over HTTP(S). Only the addresses it is given are contacted.
public struct Downloader: Sendable {
    /// Largest response accepted.
    public var limit: Int
    public var timeout: TimeInterval

    public init(limit: Int = 2 << 30, timeout: TimeInterval = 120) {
        self.limit = limit
        self.timeout = timeout
    }

    /// The body of `url`.
    /// - Throws: `AdvisoryStoreError.download` naming the URL for a network error, a non-200 status
    ///   or a body over the limit.
    public func fetch(_ url: URL) async throws -> Data {
        var request = URLRequest(url: url, timeoutInterval: timeout)
        request.setValue("vigil", forHTTPHeaderField: "User-Agent")
        let data: Data
        let response: URLResponse
        do {
            (data, response) = try await URLSession.shared.data(for: request)
        } catch {
            throw AdvisoryStoreError.download(url: url.absoluteString, reason: error.localizedDescription)
        }
        if let http = response as? HTTPURLResponse, http.statusCode != 200 {
            throw AdvisoryStoreError.download(url: url.absoluteString, reason: "HTTP \(http.statusCode)")
        }
        if data.count > limit {
            throw AdvisoryStoreError.download(url: url.absoluteString, reason: "larger than \(limit) bytes")
        }
        return data
    }
}
