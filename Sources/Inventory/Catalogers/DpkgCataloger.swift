import Foundation
import VigilCore

/// Debian packages: `/var/lib/dpkg/status` (installed state only) and distroless `status.d/*`.
struct DpkgCataloger: Cataloger {
    var needsWalk: Bool { false }

    func catalog(_ fs: FileSystem, files _: [String], into inventory: inout Inventory) throws {
        var files: [(path: String, requireInstalled: Bool)] = [("/var/lib/dpkg/status", true)]
        for name in fs.list("/var/lib/dpkg/status.d") where !name.hasSuffix(".md5sums") {
            files.append(("/var/lib/dpkg/status.d/\(name)", false))
        }
        let os = inventory.operatingSystem
        let family = os?.id == "ubuntu" ? "Ubuntu" : "Debian"
        let ecosystem = os?.ecosystem.flatMap { $0.hasPrefix(family) ? $0 : nil } ?? family
        for file in files {
            let text: String?
            do { text = try fs.text(file.path) } catch {
                inventory.problems.append("\(error)")
                continue
            }
            guard let text else { continue }
            let stanzas = ControlFile.stanzas(text)
            if !text.isEmpty && stanzas.isEmpty {
                inventory.problems.append("\(file.path): no package stanzas")
            }
            for stanza in stanzas {
                guard let name = stanza["Package"], let version = stanza["Version"] else { continue }
                // "install ok installed": dpkg's selection, flag and state; only the state matters.
                if file.requireInstalled && stanza["Status"]?.split(separator: " ").last != "installed" { continue }
                var sourceName = name
                var sourceVersion = version
                if let source = stanza["Source"], !source.isEmpty {
                    let parts = source.split(separator: " ", maxSplits: 1)
                    sourceName = String(parts[0])
                    if parts.count == 2 {
                        sourceVersion = parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "() "))
                    }
                }
                let architecture = stanza["Architecture"]
                var qualifiers: [String: String] = [:]
                qualifiers["arch"] = architecture
                if let os, let release = os.version?.split(separator: ".").first { qualifiers["distro"] = "\(os.id)-\(release)" }
                if sourceName != name { qualifiers["upstream"] = sourceName }
                let purl = PackageURL(type: "deb", namespace: os?.id ?? "debian", name: name, version: version, qualifiers: qualifiers)
                inventory.packages.append(Package(
                    name: name, version: version, ecosystem: ecosystem, purl: purl.description, path: file.path,
                    packageManager: .os, sourceName: sourceName, sourceVersion: sourceVersion, architecture: architecture
                ))
            }
        }
    }
}
