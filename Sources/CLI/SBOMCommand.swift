import ArgumentParser
import Foundation
import Inventory

/// `vigil sbom`: the inventory of a directory tree.
struct SBOMCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "sbom",
        abstract: "List what is installed in a directory tree (a root filesystem) or a zip: OS and packages; or convert a CycloneDX/SPDX JSON SBOM.",
        discussion: "Formats: json (Vigil's inventory document), cyclonedx (CycloneDX 1.5 JSON), spdx (SPDX 2.3 JSON). Files that cannot be read are reported (under 'problems' in json, on standard error always); the rest of the inventory still comes out."
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case json
        case cyclonedx
        case spdx
    }

    @Argument(help: "A directory, a zip (a function package or layer), or a CycloneDX or SPDX JSON SBOM.") var target: String
    @Option(help: "Output format.") var format: Format = .json
    @Option(name: .shortAndLong, help: "Write to FILE instead of standard output.") var output: String?

    func run() throws {
        let inventory: Inventory
        do {
            inventory = try Targets.inventory(of: target)
        } catch {
            StandardStreams.error("vigil: \(error)")
            throw ExitCode(2)
        }
        let data: Data
        switch format {
        case .json:
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            data = try encoder.encode(inventory)
        case .cyclonedx:
            data = try CycloneDX.encode(inventory, target: target)
        case .spdx:
            data = try SPDX.encode(inventory, target: target)
        }
        if let output {
            // Written aside and renamed, so a reader never sees half a document.
            try data.write(to: URL(fileURLWithPath: output), options: .atomic)
        } else {
            FileHandle.standardOutput.write(data + Data("\n".utf8))
        }
        for problem in inventory.problems { StandardStreams.error("problem: \(problem)") }
    }
}
