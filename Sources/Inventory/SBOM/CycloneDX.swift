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

    /// The BOM for `inventory` of the artifact named `target`.
    public static func encode(_ inventory: Inventory, target: String, now: Date = Date()) throws -> Data {
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
            components: components
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }
}
