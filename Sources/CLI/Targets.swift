import Foundation
import Inventory

/// What `vigil sbom` and `vigil scan` accept, and how each becomes an inventory.
enum Targets {
    /// A directory is a root filesystem; a file is a CycloneDX or SPDX JSON SBOM when it says so,
    /// else a zip (function package or layer). Errors name the target.
    static func inventory(of target: String, scope: CatalogScope = .wholeTree) throws -> Inventory {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: target, isDirectory: &isDirectory) else {
            throw InventoryError.notFound(target)
        }
        if isDirectory.boolValue {
            return Cataloging.inventory(of: try DirectoryFileSystem(root: target), scope: scope)
        }
        let url = URL(fileURLWithPath: target)
        let head = try FileHandle(forReadingFrom: url).readPrefix(4096)
        if head.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x0D || $0 == 0x09 }).first == UInt8(ascii: "{") {
            let data = try Data(contentsOf: url)
            if SBOMReader.looksLikeSBOM(data) { return try SBOMReader.read(data, source: target) }
            throw InventoryError.malformed(path: target, reason: "a JSON document that is neither CycloneDX nor SPDX")
        }
        return Cataloging.inventory(of: try ZipFileSystem(url: url), scope: scope)
    }
}

extension FileHandle {
    func readPrefix(_ count: Int) throws -> Data {
        defer { try? close() }
        return try read(upToCount: count) ?? Data()
    }
}
