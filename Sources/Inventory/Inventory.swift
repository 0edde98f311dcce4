import Foundation
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
    func wants(_ entry: WalkEntry) -> Bool
    /// Reads its package databases and the files it wanted.
    func catalog(_ fs: FileSystem, files: [String], into inventory: inout Inventory) throws
    /// False for catalogers that read only fixed places (`/var/lib/dpkg/status`): they run while
    /// the tree is walked.
    var needsWalk: Bool { get }
}

extension Cataloger {
    public func wants(_ entry: WalkEntry) -> Bool { false }
    public var needsWalk: Bool { true }
}

/// How much of a filesystem a cataloging run reads.
public struct CatalogScope: Hashable, Sendable {
    /// Directories walked for package files; nil walks the whole tree.
    public var roots: [String]?
    /// At most this many files are examined; the walk stops there and says so under `problems`.
    public var maxFiles: Int

    /// Every file of the tree, as a root filesystem, image or zip scanner reads it.
    public static let wholeTree = CatalogScope(roots: nil, maxFiles: .max)

    /// Inspector's default deep-inspection paths.
    public static let defaultDeepInspectionPaths = ["/usr/lib", "/usr/lib64", "/usr/local/lib", "/usr/local/lib64"]

    /// A host scan as Inspector's agent does it: the OS package databases at their fixed places,
    /// language packages only under the deep-inspection paths (the defaults plus `extraPaths`), and
    /// a bound on the work.
    public static func host(extraPaths: [String] = [], maxFiles: Int = 250_000) -> CatalogScope {
        CatalogScope(roots: defaultDeepInspectionPaths + extraPaths + ["/var/lib/rpm"], maxFiles: maxFiles)
    }
}

/// Runs every cataloger over a filesystem.
public enum Cataloging {
    static let catalogers: [any Cataloger] = [DpkgCataloger(), ApkCataloger(), PythonPackageCataloger(), NodePackageCataloger(), GoBinaryCataloger(), RustCataloger(), JavaArchiveCataloger(),
        ComposerCataloger(), DotNetCataloger(), RubyCataloger(), GoModuleCataloger(), PythonLockfileCataloger(), NodeLockfileCataloger(), RpmCataloger()]

    /// Trees never walked: virtual filesystems of a live host.
    static let skipped: Set<String> = ["/proc", "/sys", "/dev"]

    struct WalkLimitReached: Error {}

    /// The inventory of `fs`: OS detection, one walk of the tree (or of the scope's roots), then
    /// each cataloger; a cataloger that fails is recorded as a problem and the others still run.
    public static func inventory(of fs: FileSystem, scope: CatalogScope = .wholeTree) -> Inventory {
        var inventory = Inventory(operatingSystem: OSDetector.detect(fs))
        let results = CatalogResults(count: catalogers.count)
        let os = inventory.operatingSystem
        @Sendable func run(_ k: Int, _ files: [String]) {
            var part = Inventory(operatingSystem: os)
            do {
                try catalogers[k].catalog(fs, files: files, into: &part)
            } catch {
                part.problems.append("\(error)")
            }
            results.set(k, part)
        }
        // Catalogers of fixed places run beside the walk; the others after it, in parallel. Their
        // results are merged in the catalogers' order, so the output does not depend on timing.
        let background = DispatchGroup()
        for k in catalogers.indices where !catalogers[k].needsWalk {
            DispatchQueue.global().async(group: background) { run(k, []) }
        }
        var wanted = Array(repeating: [String](), count: catalogers.count)
        var examined = 0
        var walked: [String] = []
        // Overlapping roots (`/usr/lib` and `/usr/lib/app`) are walked once.
        for root in (scope.roots ?? ["/"]).map(normalizedRoot).sorted() where !walked.contains(where: { root == $0 || $0 == "/" || root.hasPrefix($0 + "/") }) {
            walked.append(root)
            do {
                try fs.walk(root, skipping: skipped) { entry in
                    examined += 1
                    guard examined <= scope.maxFiles else { throw WalkLimitReached() }
                    for (k, cataloger) in catalogers.enumerated() where cataloger.wants(entry) { wanted[k].append(entry.path) }
                }
            } catch {
                inventory.problems.append("\(fs.name): stopped after examining \(scope.maxFiles) files; packages in the rest of the tree are not listed")
                break
            }
        }
        let walking = catalogers.indices.filter { catalogers[$0].needsWalk && !wanted[$0].isEmpty }
        let files = wanted
        DispatchQueue.concurrentPerform(iterations: walking.count) { n in run(walking[n], files[walking[n]]) }
        background.wait()
        for part in results.parts {
            inventory.packages += part.packages
            inventory.problems += part.problems
        }
        return inventory
    }

    /// `/usr/lib/` → `/usr/lib`; relative paths are taken from the root.
    static func normalizedRoot(_ path: String) -> String {
        let parts = path.split(separator: "/").filter { $0 != "." }
        return "/" + parts.joined(separator: "/")
    }
}

/// One inventory part per cataloger, filled from several threads.
final class CatalogResults: @unchecked Sendable {
    private var storage: [Inventory]
    private let lock = NSLock()

    init(count: Int) { storage = Array(repeating: Inventory(operatingSystem: nil), count: count) }

    func set(_ k: Int, _ part: Inventory) { lock.withLock { storage[k] = part } }

    var parts: [Inventory] { lock.withLock { storage } }
}
