import Crypto
import Foundation
import VigilCore

/// AWS Signature Version 4 verification (docs: "Create a signed AWS API request"): the canonical
/// request from method, path, query, signed headers and the payload's SHA-256; the string to sign
/// with the credential scope; the signing key derived from the secret by HMAC-SHA256 over date,
/// region, service and `aws4_request`; a constant-time comparison; at most 15 minutes of skew.
struct SigV4 {
    struct Request {
        var method: String
        /// The path as sent, still percent-encoded.
        var rawPath: String
        /// The query string as sent, without `?`.
        var rawQuery: String
        /// Header names lowercased, each with its values in order.
        var headers: [String: [String]]
        var body: Data
    }

    struct Signed {
        var accessKeyID: String
        var date: String
        var region: String
        var service: String
        var signedHeaders: [String]
        var signature: String
    }

    static let maxSkew: TimeInterval = 15 * 60

    /// The parts of the `Authorization` header.
    static func parse(_ request: Request) throws(AWSError) -> Signed {
        guard let header = request.headers["authorization"]?.first else {
            throw AWSError(status: 403, type: "MissingAuthenticationTokenException", message: "Missing Authentication Token")
        }
        guard header.hasPrefix("AWS4-HMAC-SHA256 ") else {
            throw AWSError(status: 403, type: "IncompleteSignatureException", message: "Unsupported Authorization header: only AWS4-HMAC-SHA256 is accepted")
        }
        var fields: [String: String] = [:]
        for part in header.dropFirst("AWS4-HMAC-SHA256 ".count).split(separator: ",") {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard let eq = trimmed.firstIndex(of: "=") else { continue }
            fields[String(trimmed[..<eq])] = String(trimmed[trimmed.index(after: eq)...])
        }
        guard let credential = fields["Credential"], let signedHeaders = fields["SignedHeaders"], let signature = fields["Signature"] else {
            throw AWSError(status: 403, type: "IncompleteSignatureException",
                           message: "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters")
        }
        let scope = credential.split(separator: "/").map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else {
            throw AWSError(status: 403, type: "IncompleteSignatureException", message: "Credential should be scoped to a valid region and service: '\(credential)'")
        }
        return Signed(accessKeyID: scope[0], date: scope[1], region: scope[2], service: scope[3],
                      signedHeaders: signedHeaders.split(separator: ";").map(String.init), signature: signature)
    }

    /// Checks the signature with `secret`; throws AWS's errors for every mismatch.
    static func verify(_ request: Request, _ signed: Signed, secret: String, expectedService: String, now: Date = Date()) throws(AWSError) {
        guard signed.service == expectedService else {
            throw AWSError(status: 403, type: "InvalidSignatureException", message: "Credential should be scoped to correct service: '\(expectedService)'.")
        }
        guard let amzDate = request.headers["x-amz-date"]?.first, let instant = Self.parseAmzDate(amzDate) else {
            throw AWSError(status: 403, type: "IncompleteSignatureException", message: "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        guard amzDate.hasPrefix(signed.date) else {
            throw AWSError(status: 403, type: "InvalidSignatureException", message: "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(signed.date)' != '\(amzDate.prefix(8))'")
        }
        if abs(instant.timeIntervalSince(now)) > maxSkew {
            throw AWSError(status: 403, type: "InvalidSignatureException",
                           message: "Signature expired: \(amzDate) is now earlier than \(Self.formatAmzDate(now.addingTimeInterval(-maxSkew))) (\(Self.formatAmzDate(now)) - 15 min.)")
        }
        guard signed.signedHeaders.contains("host") else {
            throw AWSError(status: 403, type: "InvalidSignatureException", message: "'Host' must be a 'SignedHeader' in the AWS Authorization.")
        }
        let canonical = canonicalRequest(request, signedHeaders: signed.signedHeaders)
        let scope = "\(signed.date)/\(signed.region)/\(signed.service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(hex(SHA256.hash(data: Data(canonical.utf8))))"
        let key = SigningKeys.shared.key(secret: secret, date: signed.date, region: signed.region, service: signed.service)
        let expected = hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        guard constantTimeEqual(expected.utf8, signed.signature.lowercased().utf8) else {
            throw AWSError(status: 403, type: "InvalidSignatureException",
                           message: "The request signature we calculated does not match the signature you provided. Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        }
    }

    static func canonicalRequest(_ request: Request, signedHeaders: [String]) -> String {
        // Non-S3 services encode the (already encoded) path once more.
        let path = encode(request.rawPath.isEmpty ? "/" : request.rawPath, keepSlash: true)
        let query = request.rawQuery.split(separator: "&").compactMap { pair -> (String, String)? in
            guard !pair.isEmpty else { return nil }
            let parts = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let key = decode(String(parts[0])), value = parts.count > 1 ? decode(String(parts[1])) : ""
            return (encode(key, keepSlash: false), encode(value, keepSlash: false))
        }.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
        let headers = signedHeaders.map { name -> String in
            let values = (request.headers[name] ?? []).map { $0.trimmingCharacters(in: .whitespaces).split(separator: " ", omittingEmptySubsequences: true).joined(separator: " ") }
            return "\(name):\(values.joined(separator: ","))"
        }.joined(separator: "\n")
        return [request.method, path, query, headers + "\n", signedHeaders.joined(separator: ";"), hex(SHA256.hash(data: request.body))].joined(separator: "\n")
    }

    /// RFC 3986 unreserved characters stay; everything else is %XX (upper case).
    static func encode(_ text: String, keepSlash: Bool) -> String {
        var out = ""
        for byte in text.utf8 {
            let c = Character(Unicode.Scalar(byte))
            if (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || (byte >= 0x30 && byte <= 0x39) || "-_.~".contains(c) || (keepSlash && c == "/") {
                out.append(c)
            } else {
                out += String(format: "%%%02X", byte)
            }
        }
        return out
    }

    static func decode(_ text: String) -> String {
        text.replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? text
    }

    static func hex<D: Sequence>(_ digest: D) -> String where D.Element == UInt8 {
        digest.map { String(format: "%02x", $0) }.joined()
    }

    /// `20261127T142301Z` (ISO 8601 basic, UTC), parsed by hand: a formatter per request costs more
    /// than the rest of the signature check.
    static func parseAmzDate(_ text: String) -> Date? {
        let b = Array(text.utf8)
        guard b.count == 16, b[8] == UInt8(ascii: "T"), b[15] == UInt8(ascii: "Z") else { return nil }
        func number(_ range: Range<Int>) -> Int? {
            var value = 0
            for k in range {
                guard b[k] >= 0x30, b[k] <= 0x39 else { return nil }
                value = value * 10 + Int(b[k] - 0x30)
            }
            return value
        }
        guard let year = number(0..<4), let month = number(4..<6), let day = number(6..<8),
              let hour = number(9..<11), let minute = number(11..<13), let second = number(13..<15),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61 else { return nil }
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        return Date(timeIntervalSince1970: TimeInterval(days * 86_400 + hour * 3600 + minute * 60 + second))
    }

    static func formatAmzDate(_ date: Date) -> String {
        var seconds = Int(date.timeIntervalSince1970.rounded(.down))
        let days = seconds >= 0 ? seconds / 86_400 : (seconds - 86_399) / 86_400
        seconds -= days * 86_400
        let z = days + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        let year = yoe + era * 400 + (month <= 2 ? 1 : 0)
        return String(format: "%04d%02d%02dT%02d%02d%02dZ", year, month, day, seconds / 3600, seconds % 3600 / 60, seconds % 60)
    }
}

/// Signs requests with SigV4 (Vigil's own clients and benchmarks; the AWS CLI signs for itself).
public enum SigV4Signer {
    /// The headers to add to a request: `X-Amz-Date`, `Authorization` (and `Host` as given).
    public static func headers(method: String, path: String, query: String = "", host: String, body: Data,
                               accessKeyID: String, secret: String, region: String, service: String = "inspector2",
                               date: Date = Date()) -> [(String, String)] {
        let amzDate = SigV4.formatAmzDate(date)
        let day = String(amzDate.prefix(8))
        let signedHeaders = ["host", "x-amz-date"]
        let request = SigV4.Request(method: method, rawPath: path, rawQuery: query,
                                    headers: ["host": [host], "x-amz-date": [amzDate]], body: body)
        let canonical = SigV4.canonicalRequest(request, signedHeaders: signedHeaders)
        let scope = "\(day)/\(region)/\(service)/aws4_request"
        let stringToSign = "AWS4-HMAC-SHA256\n\(amzDate)\n\(scope)\n\(SigV4.hex(SHA256.hash(data: Data(canonical.utf8))))"
        var key = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for part in [day, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        let signature = SigV4.hex(HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: key))
        return [("X-Amz-Date", amzDate),
                ("Authorization", "AWS4-HMAC-SHA256 Credential=\(accessKeyID)/\(scope), SignedHeaders=\(signedHeaders.joined(separator: ";")), Signature=\(signature)")]
    }
}

/// The date conversions, for tests.
public enum SigV4TestHooks {
    public static func format(_ date: Date) -> String { SigV4.formatAmzDate(date) }
    public static func parse(_ text: String) -> Date? { SigV4.parseAmzDate(text) }
}

/// Derived signing keys (four HMACs each) kept per secret, day, region and service: a client signs
/// every request of a day with the same one.
final class SigningKeys: @unchecked Sendable {
    static let shared = SigningKeys()
    private var keys: [String: SymmetricKey] = [:]
    private let lock = NSLock()

    func key(secret: String, date: String, region: String, service: String) -> SymmetricKey {
        let cacheKey = "\(secret)\u{0}\(date)\u{0}\(region)\u{0}\(service)"
        if let known = lock.withLock({ keys[cacheKey] }) { return known }
        var key = SymmetricKey(data: Data("AWS4\(secret)".utf8))
        for part in [date, region, service, "aws4_request"] {
            key = SymmetricKey(data: Data(HMAC<SHA256>.authenticationCode(for: Data(part.utf8), using: key)))
        }
        lock.withLock {
            if keys.count >= 10_000 { keys.removeAll(keepingCapacity: true) }
            keys[cacheKey] = key
        }
        return key
    }
}
