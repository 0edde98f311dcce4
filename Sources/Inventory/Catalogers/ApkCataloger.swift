import Foundation
import VigilCore

/// Alpine packages: `/lib/apk/db/installed` (`P:` name, `V:` version, `A:` arch, `o:` origin).
struct ApkCataloger: Cataloger {
    var needsWalk: Bool { false }

    static let path = "/lib/apk/db/installed"

    func catalog(_ fs: FileSystem, files _: [String], into inventory: inout Inventory) throws {
        guard let text = try fs.text(Self.path) else { return }
        let os = inventory.operatingSystem
        let ecosystem = os?.ecosystem ?? "Alpine"
        var fields: [Character: String] = [:]
        func flush() {
            defer { fields = [:] }
            guard let name = fields["P"], let version = fields["V"] else {
                if !fields.isEmpty { inventory.problems.append("\(Self.path): a package entry without P: or V:") }
                return
            }
            let origin = fields["o"] ?? name
            var qualifiers: [String: String] = [:]
            qualifiers["arch"] = fields["A"]
            if let v = os?.version { qualifiers["distro"] = "alpine-\(v)" }
            if origin != name { qualifiers["upstream"] = origin }
            inventory.packages.append(Package(
                name: name, version: version, ecosystem: ecosystem,
                purl: PackageURL(type: "apk", namespace: os?.id ?? "alpine", name: name, version: version, qualifiers: qualifiers).description,
                path: Self.path, packageManager: .os, sourceName: origin, sourceVersion: version, architecture: fields["A"]
            ))
        }
        for line in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            if line.isEmpty { flush(); continue }
            guard line.count >= 2, line.dropFirst().first == ":", let key = line.first else { continue }
            fields[key] = String(line.dropFirst(2))
        }
        flush()
    }
}
