import Foundation
import VigilCore

/// Writes an inventory as an SPDX 2.3 JSON document: the scanned artifact is the described root
/// package, which CONTAINS the OS and every package (each with its purl as a package-manager reference).
public enum SPDX {
    struct Document: Encodable {
        var spdxVersion = "SPDX-2.3"
        var dataLicense = "CC0-1.0"
        var SPDXID = "SPDXRef-DOCUMENT"
        var name: String
        var documentNamespace: String
        var creationInfo: CreationInfo
        var packages: [Package]
        var relationships: [Relationship]
    }

    struct CreationInfo: Encodable {
        var created: String
        var creators: [String]
    }

    struct ExternalRef: Encodable {
        var referenceCategory = "PACKAGE-MANAGER"
        var referenceType = "purl"
        var referenceLocator: String
    }

    struct Package: Encodable {
        var SPDXID: String
        var name: String
        var versionInfo: String?
        var downloadLocation = "NOASSERTION"
        var filesAnalyzed = false
        var primaryPackagePurpose: String
        var sourceInfo: String?
        var comment: String?
        var externalRefs: [ExternalRef]?
    }

    struct Relationship: Encodable {
        var spdxElementId: String
        var relationshipType: String
        var relatedSpdxElement: String
    }

    /// The document for `inventory` of the artifact named `target`.
    public static func encode(_ inventory: Inventory, target: String, now: Date = Date()) throws -> Data {
        var packages = [Package(SPDXID: "SPDXRef-Target", name: target, primaryPackagePurpose: "FILE",
                                comment: "the artifact Vigil inventoried")]
        var relationships = [Relationship(spdxElementId: "SPDXRef-DOCUMENT", relationshipType: "DESCRIBES", relatedSpdxElement: "SPDXRef-Target")]
        if let os = inventory.operatingSystem {
            packages.append(Package(SPDXID: "SPDXRef-OperatingSystem", name: os.id, versionInfo: os.version,
                                    primaryPackagePurpose: "OPERATING-SYSTEM",
                                    comment: [os.name, os.ecosystem.map { "OSV ecosystem \($0)" }, os.note].compactMap { $0 }.joined(separator: "; ")))
            relationships.append(Relationship(spdxElementId: "SPDXRef-Target", relationshipType: "CONTAINS", relatedSpdxElement: "SPDXRef-OperatingSystem"))
        }
        for (n, package) in inventory.packages.enumerated() {
            let id = "SPDXRef-Package-\(n + 1)"
            var details = ["ecosystem \(package.ecosystem)", "packageManager \(package.packageManager.rawValue)"]
            if let s = package.sourceName { details.append("source \(s) \(package.sourceVersion ?? "")".trimmingCharacters(in: .whitespaces)) }
            if let l = package.layer { details.append("layer \(l)") }
            packages.append(Package(
                SPDXID: id, name: package.name, versionInfo: package.version,
                primaryPackagePurpose: package.packageManager == .os ? "INSTALL" : "LIBRARY",
                sourceInfo: "found in \(package.path)", comment: details.joined(separator: "; "),
                externalRefs: [ExternalRef(referenceLocator: package.purl)]
            ))
            relationships.append(Relationship(spdxElementId: "SPDXRef-Target", relationshipType: "CONTAINS", relatedSpdxElement: id))
        }
        let document = Document(
            name: "vigil-inventory-\(URL(fileURLWithPath: target).lastPathComponent)",
            documentNamespace: "https://vigil.invalid/spdx/\(UUID().uuidString.lowercased())",
            creationInfo: CreationInfo(created: Date.ISO8601FormatStyle().format(now), creators: ["Tool: vigil"]),
            packages: packages, relationships: relationships
        )
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        return try encoder.encode(document)
    }
}
