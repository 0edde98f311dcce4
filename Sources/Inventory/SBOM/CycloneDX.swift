import Foundation
import VigilCore

/// Writes an inventory as a CycloneDX 1.5 JSON BOM: the OS as an `operating-system` component,
/// each package as a `library` with its purl and Vigil's details as `vigil:*` properties.
public enum CycloneDX {
    struct Document: Encodable {
        var bomFormat = "CycloneDX"
        var specVersion = "1.5"
        var serialNumber: String
        var version = 1
        var metadata: Metadata
        var components: [Component]
        var vulnerabilities: [EncodedVulnerability]?
    }

    /// A `vulnerabilities[]` entry (CycloneDX 1.5); `affects` holds indexes into the inventory's packages.
    public struct Vulnerability: Encodable, Sendable {
        public struct Source: Encodable, Sendable {
            public var name: String
            public var url: String?
            public init(name: String, url: String?) { self.name = name; self.url = url }
        }
        public struct Rating: Encodable, Sendable {
            public var score: Double?
            public var severity: String
            public var method: String?
            public var vector: String?
            public init(score: Double?, severity: String, method: String?, vector: String?) {
                self.score = score; self.severity = severity; self.method = method; self.vector = vector
            }
        }
        public struct Advisory: Encodable, Sendable {
            public var url: String
        }
        struct Affect: Encodable {
            var ref: String
        }
        public var id: String
        public var source: Source?
        public var ratings: [Rating]
        public var description: String?
        public var recommendation: String?
        public var advisories: [Advisory]?
        public var affects: [Int]

        public init(id: String, source: Source?, ratings: [Rating], description: String?, recommendation: String?, advisories: [String], affects: [Int]) {
            self.id = id; self.source = source; self.ratings = ratings; self.description = description
            self.recommendation = recommendation; self.advisories = advisories.isEmpty ? nil : advisories.map(Advisory.init(url:)); self.affects = affects
        }
    }

    struct EncodedVulnerability: Encodable {
        var bomRef: String
        var id: String
        var source: Vulnerability.Source?
        var ratings: [Vulnerability.Rating]
        var description: String?
        var recommendation: String?
        var advisories: [Vulnerability.Advisory]?
        var affects: [Vulnerability.Affect]

        enum CodingKeys: String, CodingKey {
            case id, source, ratings, description, recommendation, advisories, affects
            case bomRef = "bom-ref"
        }
    }

    struct Metadata: Encodable {
        var timestamp: String
        var tools: Tools
        var component: Component
    }

    struct Tools: Encodable {
        var components: [Component]
    }

    struct Property: Encodable {
        var name: String
        var value: String
    }

    struct Component: Encodable {
        var type: String
        var bomRef: String?
        var name: String
        var version: String?
        var description: String?
        var purl: String?
        var properties: [Property]?

        enum CodingKeys: String, CodingKey {
            case type, name, version, description, purl, properties
            case bomRef = "bom-ref"
        }
    }

    static func encodeVulnerabilities(_ list: [Vulnerability], refs: [String]) -> [EncodedVulnerability] {
        var out: [EncodedVulnerability] = []
        for (n, v) in list.enumerated() {
            let affects: [Vulnerability.Affect] = v.affects.filter { $0 < refs.count }.map { Vulnerability.Affect(ref: refs[$0]) }
            out.append(EncodedVulnerability(bomRef: "vulnerability-\(n + 1)", id: v.id, source: v.source, ratings: v.ratings,
                                            description: v.description, recommendation: v.recommendation, advisories: v.advisories, affects: affects))
        }
        return out
    }

    /// The BOM for `inventory` of the artifact named `target`.
    public static func encode(_ inventory: Inventory, target: String, vulnerabilities: [Vulnerability]? = nil, now: Date = Date()) throws -> Data {
        var components: [Component] = []
        if let os = inventory.operatingSystem {
            var properties = [Property]()
            if let ecosystem = os.ecosystem { properties.append(Property(name: "vigil:ecosystem", value: ecosystem)) }
            if let codename = os.codename { properties.append(Property(name: "vigil:codename", value: codename)) }
            if let note = os.note { properties.append(Property(name: "vigil:note", value: note)) }
            components.append(Component(type: "operating-system", bomRef: "os:\(os.id)", name: os.id, version: os.version,
                                        description: os.name, properties: properties.isEmpty ? nil : properties))
        }
        var seen = Set<String>()
        var refs: [String] = []
        for package in inventory.packages {
            // bom-refs must be unique: the purl, qualified by the path when the same package is found twice.
            var ref = package.purl
            if !seen.insert(ref).inserted {
                ref = "\(package.purl)#\(package.path)"
                seen.insert(ref)
            }
            var properties = [
                Property(name: "vigil:ecosystem", value: package.ecosystem),
                Property(name: "vigil:packageManager", value: package.packageManager.rawValue),
                Property(name: "vigil:path", value: package.path),
            ]
            if let s = package.sourceName { properties.append(Property(name: "vigil:sourceName", value: s)) }
            if let s = package.sourceVersion { properties.append(Property(name: "vigil:sourceVersion", value: s)) }
            if let a = package.architecture { properties.append(Property(name: "vigil:architecture", value: a)) }
            if let l = package.layer { properties.append(Property(name: "vigil:layer", value: l)) }
            refs.append(ref)
            components.append(Component(type: "library", bomRef: ref, name: package.name, version: package.version,
                                        purl: package.purl, properties: properties))
        }
        let document = Document(
            serialNumber: "urn:uuid:\(UUID().uuidString.lowercased())",
            metadata: Metadata(
                timestamp: Date.ISO8601FormatStyle().format(now),
                tools: Tools(components: [Component(type: "application", name: "vigil")]),
                component: Component(type: "file", bomRef: "target", name: target)
            ),
            components: components,
            vulnerabilities: vulnerabilities.map { encodeVulnerabilities($0, refs: refs) }
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }
}
