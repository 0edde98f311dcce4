import Foundation
import VigilCore

/// Reads a CycloneDX (1.2–1.6) or SPDX (2.2–2.3) JSON document back as an inventory, so an SBOM
/// made elsewhere (or by `vigil sbom`) can be scanned like the artifact it describes.
///
/// A package's ecosystem comes from Vigil's own `vigil:*` properties when present, else from its
/// purl: the purl type names the language ecosystem, and for OS packages the `distro` qualifier (or
/// the document's operating-system component) names the release. Components without a purl, or
/// with a purl type Vigil cannot place, are reported under `problems` by name, never guessed.
public enum SBOMReader {
    /// The inventory in `data`, which `source` names in errors; throws when the document is neither
    /// CycloneDX nor SPDX JSON.
    public static func read(_ data: Data, source: String) throws -> Inventory {
        let object: Any
        do {
            object = try JSONSerialization.jsonObject(with: data)
        } catch {
            throw InventoryError.malformed(path: source, reason: "not JSON (\(error.localizedDescription))")
        }
        guard let document = object as? [String: Any] else { throw InventoryError.malformed(path: source, reason: "not a JSON object") }
        if document["bomFormat"] as? String == "CycloneDX" { return cycloneDX(document, source: source) }
        if let version = document["spdxVersion"] as? String, version.hasPrefix("SPDX-2.") { return spdx(document, source: source) }
        throw InventoryError.malformed(path: source, reason: "neither a CycloneDX (bomFormat) nor an SPDX 2.x (spdxVersion) JSON document")
    }

    /// True when `data` is a JSON object that names itself CycloneDX or SPDX.
    public static func looksLikeSBOM(_ data: Data) -> Bool {
        let head = String(decoding: data.prefix(4096), as: UTF8.self)
        guard head.drop(while: \.isWhitespace).first == "{" else { return false }
        // Key order is free: SPDX writers that sort keys put spdxVersion near the end.
        return data.range(of: Data("\"bomFormat\"".utf8)) != nil || data.range(of: Data("\"spdxVersion\"".utf8)) != nil
    }

    // MARK: CycloneDX

    static func cycloneDX(_ document: [String: Any], source: String) -> Inventory {
        var components: [[String: Any]] = []
        func collect(_ list: Any?) {
            for component in list as? [[String: Any]] ?? [] {
                components.append(component)
                collect(component["components"])
            }
        }
        collect(document["components"])
        var inventory = Inventory(operatingSystem: nil)
        for component in components where component["type"] as? String == "operating-system" {
            let properties = Self.properties(component)
            guard let id = (component["name"] as? String)?.lowercased() else { continue }
            var os = OSDetector.operatingSystem(id: id, version: component["version"] as? String, name: component["description"] as? String)
            if let ecosystem = properties["vigil:ecosystem"] { os?.ecosystem = ecosystem; os?.note = nil }
            if let codename = properties["vigil:codename"] { os?.codename = codename }
            inventory.operatingSystem = os
            break
        }
        for component in components where component["type"] as? String != "operating-system" {
            let name = component["name"] as? String ?? "?"
            guard let purlText = component["purl"] as? String else {
                if ["library", "framework"].contains(component["type"] as? String ?? "") {
                    inventory.problems.append("\(source): component '\(name)' has no purl; not matched")
                }
                continue
            }
            let properties = Self.properties(component)
            switch package(purl: purlText, properties: properties, os: inventory.operatingSystem, source: source) {
            case .success(let package): inventory.packages.append(package)
            case .failure(let problem): inventory.problems.append(problem.description)
            }
        }
        return inventory
    }

    static func properties(_ component: [String: Any]) -> [String: String] {
        var out: [String: String] = [:]
        for property in component["properties"] as? [[String: Any]] ?? [] {
            if let name = property["name"] as? String, let value = property["value"] as? String, out[name] == nil { out[name] = value }
        }
        return out
    }

    // MARK: SPDX

    static func spdx(_ document: [String: Any], source: String) -> Inventory {
        var inventory = Inventory(operatingSystem: nil)
        let packages = document["packages"] as? [[String: Any]] ?? []
        for package in packages where package["primaryPackagePurpose"] as? String == "OPERATING-SYSTEM" {
            guard let id = (package["name"] as? String)?.lowercased() else { continue }
            var os = OSDetector.operatingSystem(id: id, version: package["versionInfo"] as? String)
            // Vigil writes "…; OSV ecosystem Debian:12" in the comment.
            if let comment = package["comment"] as? String, let range = comment.range(of: "OSV ecosystem ") {
                os?.ecosystem = String(comment[range.upperBound...].prefix { $0 != ";" })
                os?.note = nil
            }
            inventory.operatingSystem = os
            break
        }
        for package in packages where package["primaryPackagePurpose"] as? String != "OPERATING-SYSTEM" {
            let refs = package["externalRefs"] as? [[String: Any]] ?? []
            guard let purl = refs.first(where: { $0["referenceType"] as? String == "purl" })?["referenceLocator"] as? String else { continue }
            var properties: [String: String] = [:]
            // Vigil's own comment: "ecosystem X; packageManager Y; source NAME VERSION; layer L".
            for part in (package["comment"] as? String ?? "").components(separatedBy: "; ") {
                let words = part.split(separator: " ", maxSplits: 1).map(String.init)
                guard words.count == 2 else { continue }
                switch words[0] {
                case "ecosystem": properties["vigil:ecosystem"] = words[1]
                case "packageManager": properties["vigil:packageManager"] = words[1]
                case "layer": properties["vigil:layer"] = words[1]
                case "source":
                    let source = words[1].split(separator: " ", maxSplits: 1).map(String.init)
                    properties["vigil:sourceName"] = source.first
                    if source.count == 2 { properties["vigil:sourceVersion"] = source[1] }
                default: break
                }
            }
            if let info = package["sourceInfo"] as? String, info.hasPrefix("found in ") { properties["vigil:path"] = String(info.dropFirst(9)) }
            switch Self.package(purl: purl, properties: properties, os: inventory.operatingSystem, source: source) {
            case .success(let p): inventory.packages.append(p)
            case .failure(let problem): inventory.problems.append(problem.description)
            }
        }
        return inventory
    }

    // MARK: purl → package

    struct Problem: Error, CustomStringConvertible { let description: String }

    static let languageEcosystems: [String: (ecosystem: String, manager: PackageManager)] = [
        "pypi": ("PyPI", .pythonPackage), "npm": ("npm", .nodePackage), "golang": ("Go", .goBinary),
        "cargo": ("crates.io", .cargo), "maven": ("Maven", .jar), "gem": ("RubyGems", .gemspec),
        "nuget": ("NuGet", .nuget), "composer": ("Packagist", .composer),
    ]

    static func package(purl text: String, properties: [String: String], os: OperatingSystem?, source: String) -> Result<Package, Problem> {
        guard let purl = PackageURL(parsing: text) else { return .failure(Problem(description: "\(source): '\(text)' is not a package URL")) }
        guard let version = purl.version, !version.isEmpty else { return .failure(Problem(description: "\(source): \(text) has no version; not matched")) }
        let manager = properties["vigil:packageManager"].flatMap(PackageManager.init(rawValue:))
        let path = properties["vigil:path"] ?? source
        let layer = properties["vigil:layer"]
        let arch = properties["vigil:architecture"] ?? purl.qualifiers["arch"]
        switch purl.type {
        case "deb", "apk", "rpm":
            guard let ecosystem = properties["vigil:ecosystem"] ?? osEcosystem(purl, os: os) else {
                return .failure(Problem(description: "\(source): \(text): no distribution release (no distro qualifier or operating-system component); not matched"))
            }
            var fullVersion = version
            if purl.type == "rpm", let epoch = purl.qualifiers["epoch"], !version.contains(":") { fullVersion = "\(epoch):\(version)" }
            // The source package: Vigil's properties, Trivy's, then the purl's `upstream` qualifier
            // (`src@version` or `src`; rpm writes the source RPM file name).
            var sourceName = properties["vigil:sourceName"] ?? properties["aquasecurity:trivy:SrcName"]
            var sourceVersion = properties["vigil:sourceVersion"] ?? properties["aquasecurity:trivy:SrcVersion"]
            if sourceName == nil, let upstream = purl.qualifiers["upstream"] {
                if purl.type == "rpm", let parsed = RpmCataloger.sourceName(upstream) {
                    sourceName = parsed.name
                    sourceVersion = (purl.qualifiers["epoch"].map { "\($0):" } ?? "") + parsed.version
                } else if let at = upstream.firstIndex(of: "@") {
                    sourceName = String(upstream[..<at])
                    sourceVersion = String(upstream[upstream.index(after: at)...])
                } else {
                    sourceName = upstream
                }
            }
            return .success(Package(name: purl.name, version: fullVersion, ecosystem: ecosystem, purl: text, path: path,
                                    packageManager: manager ?? .os, sourceName: sourceName ?? purl.name,
                                    sourceVersion: sourceVersion ?? fullVersion, architecture: arch, layer: layer))
        default:
            guard let known = languageEcosystems[purl.type] else {
                return .failure(Problem(description: "\(source): \(text): purl type '\(purl.type)' has no advisory ecosystem; not matched"))
            }
            let name: String
            switch purl.type {
            case "maven": name = purl.namespace.map { "\($0):\(purl.name)" } ?? purl.name
            case "npm", "golang", "composer": name = purl.namespace.map { "\($0)/\(purl.name)" } ?? purl.name
            default: name = purl.name
            }
            var version = version
            if purl.type == "golang", version.hasPrefix("v") { version.removeFirst() }
            return .success(Package(name: name, version: version, ecosystem: properties["vigil:ecosystem"] ?? known.ecosystem, purl: text,
                                    path: path, packageManager: manager ?? known.manager, architecture: arch, layer: layer))
        }
    }

    /// The OSV ecosystem of an OS package: the purl's `distro` qualifier (`debian-12`, `bookworm`,
    /// `alpine-3.19`, `almalinux-9.3`, `ubuntu-22.04`), else the document's operating system when the
    /// purl's namespace names the same distribution.
    static func osEcosystem(_ purl: PackageURL, os: OperatingSystem?) -> String? {
        if var distro = purl.qualifiers["distro"] {
            // Trivy writes the bare release (`3.19.1`); the purl's namespace names the distribution.
            if distro.first?.isNumber == true, let namespace = purl.namespace { distro = "\(namespace)-\(distro)" }
            if let dash = distro.lastIndex(of: "-"), distro[distro.index(after: dash)...].first?.isNumber == true {
                let id = String(distro[..<dash]).lowercased()
                if let ecosystem = OSDetector.operatingSystem(id: id, version: String(distro[distro.index(after: dash)...]))?.ecosystem { return ecosystem }
            }
            let codenames = ["buster": "10", "bullseye": "11", "bookworm": "12", "trixie": "13"]
            if let major = codenames[distro.lowercased()] { return "Debian:\(major)" }
        }
        guard let os, let ecosystem = os.ecosystem else { return nil }
        let namespace = purl.namespace?.lowercased()
        return namespace == nil || namespace == os.id || (purl.type == "rpm" && namespace == "redhat") ? ecosystem : nil
    }
}
