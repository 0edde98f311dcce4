import Archives
import ArgumentParser
import Foundation
import Inventory
import VigilCore

/// `vigil sbom`: the inventory of a directory tree.
struct SBOMCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "List what is installed in a container image, a directory tree (a root filesystem) or a zip: OS and packages; or convert a CycloneDX/SPDX JSON SBOM.",
        discussion: "Formats: json (Vigil's inventory document), cyclonedx (CycloneDX 1.5 JSON), spdx (SPDX 2.3 JSON). Files that cannot be read are reported (under 'problems' in json, on standard error always); the rest of the inventory still comes out."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json
        case cyclonedx
        case spdx
    }

    @Argument(help: "An image (oci:DIR[:TAG], oci-archive:FILE, docker-archive:FILE, registry:HOST/REPO:TAG or @sha256:…), a directory, a zip (a function package or layer), or a CycloneDX or SPDX JSON SBOM; a bare argument is recognised.") var target: String
    @OptionGroup var images: ImageOptions
    @OptionGroup var data: DataDirectoryOptions
    @Option(help: "Output format.") var format: Format = .json
    @Flag(help: "Scan as Inspector's agent scans a host: OS packages, and language packages only under the deep-inspection paths (/usr/lib, /usr/lib64, /usr/local/lib, /usr/local/lib64 and --deep-inspection-path).")
    var host = false
    @Option(name: .customLong("deep-inspection-path"), help: "With --host: another directory to look for language packages in (repeatable).")
    var deepInspectionPaths: [String] = []
    @Option(help: "Stop after examining this many files (the inventory then says what was left out).") var maxFiles: Int?
    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output.") var output: String?

    func run() async throws {
        let inventory: Inventory
        var image: ImageMetadata?
        do {
            var scope: CatalogScope = host ? .host(extraPaths: deepInspectionPaths) : .wholeTree
            if let maxFiles { scope.maxFiles = maxFiles }
            let result = try await Targets.inventory(of: target, scope: scope, images: images, dataDirectory: data.url)
            inventory = result.inventory
            image = result.image
        } catch {
            StandardStreams.error("vigil: \(error)")
            throw ExitCode(2)
        }
        let document: Data
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            document = try encoder.encode(InventoryDocument(image: image, operatingSystem: inventory.operatingSystem,
                                                            packages: inventory.packages, problems: inventory.problems))
        case .cyclonedx:
            document = try CycloneDX.encode(inventory, target: target)
        case .spdx:
            document = try SPDX.encode(inventory, target: target)
        }
        if let output {
            // Written aside and renamed, so a reader never sees half a document.
            try document.write(to: URL(fileURLWithPath: output), options: .atomic)
        } else {
            StandardStreams.output(document + Data("\n".utf8))
        }
        for problem in inventory.problems { StandardStreams.error("problem: \(problem)") }
    }
}

/// Vigil's own inventory document: the image (for images), the OS, the packages, the problems.
struct InventoryDocument: Encodable {
    var image: ImageMetadata?
    var operatingSystem: OperatingSystem?
    var packages: [Package]
    var problems: [String]
}
