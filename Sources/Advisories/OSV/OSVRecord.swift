import Foundation
import Versions
import VigilCore

/// One OSV advisory (schema 1.x), with the parts Vigil keeps.
public struct OSVRecord: Hashable, Sendable, Codable {
    public struct Severity: Hashable, Sendable, Codable {
        /// `CVSS_V2`, `CVSS_V3`, `CVSS_V4`, `Ubuntu`, ...
        public var type: String
        public var score: String
    }

    public struct Package: Hashable, Sendable, Codable {
        public var ecosystem: String
        public var name: String
        public var purl: String?
    }

    public struct Event: Hashable, Sendable, Codable {
        public var introduced: String?
        public var fixed: String?
        public var lastAffected: String?
        public var limit: String?

        enum CodingKeys: String, CodingKey {
            case introduced, fixed, limit
            case lastAffected = "last_affected"
        }
    }

    public struct Range: Hashable, Sendable, Codable {
        public var type: String
        public var repo: String?
        public var events: [Event]
    }

    public struct Affected: Hashable, Sendable, Codable {
        public var package: Package?
        public var severity: [Severity]?
        public var ranges: [Range]?
        public var versions: [String]?
        public var ecosystemSpecific: JSONValue?
        public var databaseSpecific: JSONValue?

        public init(
            package: Package? = nil, severity: [Severity]? = nil, ranges: [Range]? = nil, versions: [String]? = nil,
            ecosystemSpecific: JSONValue? = nil, databaseSpecific: JSONValue? = nil
        ) {
            self.package = package
            self.severity = severity
            self.ranges = ranges
            self.versions = versions
            self.ecosystemSpecific = ecosystemSpecific
            self.databaseSpecific = databaseSpecific
        }

        enum CodingKeys: String, CodingKey {
            case package, severity, ranges, versions
            case ecosystemSpecific = "ecosystem_specific"
            case databaseSpecific = "database_specific"
        }

        /// The ranges and versions in the form `Versions` evaluates.
        public var affectedVersions: AffectedVersions {
            AffectedVersions(
                ranges: (ranges ?? []).map { range in
                    AffectedRange(kind: .init(range.type), events: range.events.compactMap { e in
                        if let v = e.introduced { return .introduced(v) }
                        if let v = e.fixed { return .fixed(v) }
                        if let v = e.lastAffected { return .lastAffected(v) }
                        if let v = e.limit { return .limit(v) }
                        return nil
                    })
                },
                versions: versions ?? []
            )
        }
    }

    public struct Reference: Hashable, Sendable, Codable {
        public var type: String?
        public var url: String
    }

    public var schemaVersion: String?
    public var id: String
    public var modified: String
    public var published: String?
    public var withdrawn: String?
    public var aliases: [String]?
    public var related: [String]?
    public var upstream: [String]?
    public var summary: String?
    public var details: String?
    public var severity: [Severity]?
    public var affected: [Affected]?
    public var references: [Reference]?
    public var databaseSpecific: JSONValue?

    enum CodingKeys: String, CodingKey {
        case id, modified, published, withdrawn, aliases, related, upstream, summary, details, severity, affected, references
        case schemaVersion = "schema_version"
        case databaseSpecific = "database_specific"
    }

    /// Decodes one record, checking what the schema requires.
    /// - Throws: `AdvisoryError.malformedRecord` naming `source` and the problem.
    public static func decode(_ data: Data, source: String) throws(AdvisoryError) -> OSVRecord {
        let record: OSVRecord
        do {
            record = try JSONDecoder().decode(OSVRecord.self, from: data)
        } catch let DecodingError.keyNotFound(key, context) {
            throw .malformedRecord(source: source, reason: "missing '\((context.codingPath + [key]).map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.typeMismatch(_, context) {
            throw .malformedRecord(source: source, reason: "wrong type at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch let DecodingError.valueNotFound(_, context) {
            throw .malformedRecord(source: source, reason: "null at '\(context.codingPath.map(\.stringValue).joined(separator: "."))'")
        } catch {
            throw .malformedRecord(source: source, reason: "not valid JSON")
        }
        if record.id.isEmpty { throw .malformedRecord(source: source, reason: "empty 'id'") }
        if OSVTimestamp.parse(record.modified) == nil {
            throw .malformedRecord(source: source, reason: "'modified' is not an RFC 3339 timestamp: '\(record.modified)'")
        }
        return record
    }

    /// CVE ids this record is about: its own id, aliases, related and upstream ids (OSV converters
    /// prefix them, as in `UBUNTU-CVE-2023-1234` or `ALPINE-CVE-2020-1234`), in first-seen order.
    public var cveIDs: [String] {
        var seen: [String] = []
        for candidate in [id] + (aliases ?? []) + (related ?? []) + (upstream ?? []) {
            guard let range = candidate.range(of: "CVE-") else { continue }
            let cve = String(candidate[range.lowerBound...])
            if CVE.isValid(cve) && !seen.contains(cve) { seen.append(cve) }
        }
        return seen
    }
}

/// CVE identifiers.
public enum CVE {
    /// `CVE-YYYY-NNNN…` with at least four sequence digits.
    public static func isValid(_ id: String) -> Bool {
        let parts = id.split(separator: "-", omittingEmptySubsequences: false)
        return parts.count == 3 && parts[0] == "CVE" && parts[1].count == 4 && parts[1].allSatisfy(\.isNumber)
            && parts[2].count >= 4 && parts[2].allSatisfy(\.isNumber)
    }
}

/// OSV timestamps (RFC 3339: `2024-10-10T12:34:56Z`, fractional seconds and offsets allowed).
public enum OSVTimestamp {
    /// Seconds since 1970, or nil when `text` is not an RFC 3339 date-time.
    public static func parse(_ text: String) -> Double? {
        let b = Array(text.utf8)
        func digits(_ at: Int, _ n: Int) -> Int? {
            guard at + n <= b.count else { return nil }
            var v = 0
            for k in at..<(at + n) {
                guard ASCIIDigit.isDigit(b[k]) else { return nil }
                v = v * 10 + Int(b[k] - 0x30)
            }
            return v
        }
        func byte(_ at: Int, _ c: Unicode.Scalar) -> Bool { at < b.count && b[at] == UInt8(ascii: c) }
        guard let year = digits(0, 4), byte(4, "-"), let month = digits(5, 2), byte(7, "-"), let day = digits(8, 2),
              byte(10, "T") || byte(10, "t") || byte(10, " "),
              let hour = digits(11, 2), byte(13, ":"), let minute = digits(14, 2), byte(16, ":"), let second = digits(17, 2),
              (1...12).contains(month), (1...31).contains(day), hour < 24, minute < 60, second < 61
        else { return nil }
        var i = 19
        var fraction = 0.0
        if byte(i, ".") {
            i += 1
            var scale = 0.1
            let start = i
            while i < b.count, ASCIIDigit.isDigit(b[i]) {
                fraction += Double(b[i] - 0x30) * scale
                scale /= 10
                i += 1
            }
            if i == start { return nil }
        }
        var offset = 0
        if byte(i, "Z") || byte(i, "z") {
            i += 1
        } else if byte(i, "+") || byte(i, "-") {
            guard let h = digits(i + 1, 2), byte(i + 3, ":"), let m = digits(i + 4, 2) else { return nil }
            offset = (h * 60 + m) * 60 * (byte(i, "-") ? -1 : 1)
            i += 6
        } else {
            return nil
        }
        guard i == b.count else { return nil }
        let days = CivilDate.daysSinceEpoch(year: year, month: month, day: day)
        return Double(days * 86_400 + hour * 3600 + minute * 60 + second - offset) + fraction
    }
}

enum ASCIIDigit {
    static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
}
