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
    func catalog(_ fs: FileSystem, into inventory: inout Inventory) throws
}

/// Runs every cataloger over a filesystem.
public enum Cataloging {
    static let catalogers: [any Cataloger] = [DpkgCataloger(), ApkCataloger()]

    /// The inventory of `fs`: OS detection, then each cataloger; a cataloger that fails is recorded
    /// as a problem and the others still run.
    public static func inventory(of fs: FileSystem) -> Inventory {
        var inventory = Inventory(operatingSystem: OSDetector.detect(fs))
        for cataloger in catalogers {
            do {
                try cataloger.catalog(fs, into: &inventory)
            } catch {
                inventory.problems.append("\(error)")
            }
        }
        return inventory
    }
}
