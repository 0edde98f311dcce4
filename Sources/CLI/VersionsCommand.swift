import ArgumentParser
import Foundation
import Versions
import VigilCore

/// `vigil versions`: version ordering as each package manager does it.
struct VersionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "versions",
        abstract: "Compare package versions the way each ecosystem's package manager does.",
        subcommands: [Compare.self]
    )

    struct Compare: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print <, = or > for two versions of an OSV ecosystem.",
            discussion: """
            ECOSYSTEM is an OSV ecosystem name (Debian, Ubuntu, AlmaLinux, Red Hat, Alpine, PyPI, npm, \
            crates.io, Go, Maven, RubyGems, NuGet, Packagist, ...; a ':release' suffix is allowed).
            An invalid version prints an error naming it and exits 2.
            With --batch, lines 'A<TAB>B' are read from standard input and one result is printed per \
            line: <, =, >, or ! with the reason on standard error.
            """
        )

        @Argument(help: "OSV ecosystem, e.g. Debian or PyPI.")
        var ecosystem: String

        @Argument(help: "First version.")
        var a: String?

        @Argument(help: "Second version.")
        var b: String?

        @Flag(help: "Read tab-separated pairs from standard input.")
        var batch = false

        func validate() throws {
            if batch && (a != nil || b != nil) { throw ValidationError("--batch reads versions from standard input; give none as arguments") }
            if !batch && (a == nil || b == nil) { throw ValidationError("give two versions, or --batch") }
        }

        func run() throws {
            let scheme: VersionScheme
            do {
                scheme = try VersionScheme(ecosystem: Ecosystem(ecosystem))
            } catch {
                StandardStreams.error("vigil: \(error)")
                throw ExitCode(2)
            }
            if batch {
                runBatch(scheme)
                return
            }
            do {
                print(try scheme.compare(a ?? "", b ?? "").symbol)
            } catch {
                StandardStreams.error("vigil: \(error)")
                throw ExitCode(2)
            }
        }

        private func runBatch(_ scheme: VersionScheme) {
            var output = BufferedOutput()
            var lineNumber = 0
            while let line = readLine(strippingNewline: true) {
                lineNumber += 1
                let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
                guard fields.count == 2 else {
                    output.write("!\n")
                    StandardStreams.error("line \(lineNumber): expected two versions separated by a tab")
                    continue
                }
                do {
                    output.write(try scheme.compare(String(fields[0]), String(fields[1])).symbol + "\n")
                } catch {
                    output.write("!\n")
                    StandardStreams.error("line \(lineNumber): \(error)")
                }
            }
            output.flush()
        }
    }
}
