import Foundation
import VigilCore

/// Go: the `require` directives of `go.mod` files (`// indirect` ones included).
struct GoModuleCataloger: Cataloger {
    func wants(_ entry: WalkEntry) -> Bool {
        let path = entry.path
        return path.hasSuffix("/go.mod")
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            guard let text = try? fs.text(path) else { continue }
            var inBlock = false
            for raw in text.split(whereSeparator: \.isNewline) {
                let line = (raw.range(of: "//").map { raw[..<$0.lowerBound] } ?? raw[...]).trimmingCharacters(in: .whitespaces)
                var fields: [Substring]
                if inBlock {
                    if line == ")" { inBlock = false; continue }
                    fields = line.split(separator: " ", omittingEmptySubsequences: true)
                } else if line.hasPrefix("require") {
                    let rest = line.dropFirst("require".count).trimmingCharacters(in: .whitespaces)
                    if rest == "(" { inBlock = true; continue }
                    fields = rest.split(separator: " ", omittingEmptySubsequences: true)
                } else {
                    continue
                }
                guard fields.count >= 2 else { continue }
                let module = String(fields[0]), version = String(fields[1])
                let parts = module.split(separator: "/")
                inventory.packages.append(Package(
                    name: module, version: version, ecosystem: "Go",
                    purl: PackageURL(type: "golang", namespace: parts.dropLast().joined(separator: "/"), name: String(parts.last ?? ""), version: version).description,
                    path: path, packageManager: .goModule))
            }
        }
    }
}
