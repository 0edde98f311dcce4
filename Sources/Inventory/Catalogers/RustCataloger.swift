import Archives
import Foundation
import VigilCore

/// Rust crates: `Cargo.lock` files (registry packages) here; the dependency list cargo-auditable
/// embeds in binaries (the zlib-compressed JSON `.dep-v0` ELF section) is read by
/// `GoBinaryCataloger`, which looks at each executable's section table once for both.
struct RustCataloger: Cataloger {
    static let binaryLimit = 512 << 20

    func wants(_ entry: WalkEntry) -> Bool {
        entry.name == "Cargo.lock"
    }

    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws {
        for path in files {
            do {
                if let text = try fs.text(path) { inventory.packages += Self.lockfile(text, path: path) }
            } catch {
                inventory.problems.append("\(error)")
            }
        }
    }

    static func package(_ name: String, _ version: String, path: String, manager: PackageManager) -> Package {
        Package(name: name, version: version, ecosystem: "crates.io",
                purl: PackageURL(type: "cargo", name: name, version: version).description, path: path, packageManager: manager)
    }

    /// `[[package]]` tables with `name`, `version` and a registry `source` (workspace members and git
    /// dependencies have no crates.io advisories).
    static func lockfile(_ text: String, path: String) -> [Package] {
        TOMLPackageTables.parse(text).compactMap { table in
            guard let name = table["name"], let version = table["version"], table["source"]?.hasPrefix("registry+") == true else { return nil }
            return package(name, version, path: path, manager: .cargo)
        }
    }

    /// cargo-auditable's format: `{"packages": [{"name", "version", "source", "kind"?, "root"?}]}`;
    /// build-time dependencies (`kind: build`) are not in the binary and are left out.
    static func auditable(_ section: Data, path: String) throws -> [Package] {
        let json = try Zlib.decompress(section, source: "\(path) (.dep-v0)", limit: 64 << 20)
        guard let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
              let list = object["packages"] as? [[String: Any]]
        else { throw InventoryError.malformed(path: path, reason: "cargo-auditable data is not the expected JSON") }
        return list.compactMap { entry in
            guard let name = entry["name"] as? String, let version = entry["version"] as? String,
                  (entry["source"] as? String) == "crates.io", (entry["kind"] as? String ?? "runtime") == "runtime"
            else { return nil }
            return package(name, version, path: path, manager: .cargo)
        }
    }
}
