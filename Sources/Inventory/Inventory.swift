import VigilCore

/// What is installed in an artifact: its distribution and every package found, plus the files that
/// could not be read (each named, with why), so one corrupt file never hides the rest.
public struct Inventory: Hashable, Sendable, Codable {
    public var operatingSystem: OperatingSystem?
    public var packages: [Package]
    public var problems: [String]

    public init(operatingSystem: OperatingSystem?, packages: [Package] = [], problems: [String] = []) {
        self.operatingSystem = operatingSystem
        self.packages = packages
        self.problems = problems
    }
}

/// Finds one kind of package in a filesystem. Adding a cataloger is one file plus one line in
/// `Cataloging.catalogers`.
public protocol Cataloger: Sendable {
    /// True for the files (found by the one walk over the tree) this cataloger reads.
    func wants(_ path: String) -> Bool
    /// Reads its package databases and the files it wanted.
    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws
}

extension Cataloger {
    public func wants(_ path: String) -> Bool { false }
}

/// Runs every cataloger over a filesystem.
public enum Cataloging {
    static let catalogers: [any Cataloger] = [DpkgCataloger(), ApkCataloger(), PythonPackageCataloger(), NodePackageCataloger(), GoBinaryCataloger(), RustCataloger(), JavaArchiveCataloger(),
        ComposerCataloger(), DotNetCataloger(), RubyCataloger(), GoModuleCataloger(), PythonLockfileCataloger(), NodeLockfileCataloger(), RpmCataloger()]

    /// Trees never walked: virtual filesystems of a live host.
    static let skipped: Set<String> = ["/proc", "/sys", "/dev"]

    /// The inventory of `fs`: OS detection, one walk of the whole tree, then each cataloger; a
    /// cataloger that fails is recorded as a problem and the others still run.
    public static func inventory(of fs: FileSystem) -> Inventory {
        var inventory = Inventory(operatingSystem: OSDetector.detect(fs))
        var wanted = Array(repeating: [String](), count: catalogers.count)
        fs.walk("/", skipping: skipped) { path in
            for (k, cataloger) in catalogers.enumerated() where cataloger.wants(path) { wanted[k].append(path) }
        }
        for (k, cataloger) in catalogers.enumerated() {
            do {
                try cataloger.catalog(fs, files: wanted[k], into: &inventory)
            } catch {
                inventory.problems.append("\(error)")
            }
        }
        return inventory
    }
}
