import ArgumentParser
import Foundation
import Versions
import VigilCore

/// `vigil bench`: benchmarks that print figures, each against a baseline measured in the same run.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Run benchmarks and print figures (ratios against a baseline from the same run).",
        subcommands: [Versions.self]
    )

    struct Versions: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "versions",
            abstract: "Version comparisons per second for each ecosystem, on real version pairs.",
            discussion: """
            CORPUS is a directory of '<Ecosystem>.txt' files, one real version per line, as written by \
            Scripts/version-corpus.py from OSV data. The baseline is plain byte-wise String comparison of \
            the same pairs; 'parse+compare' parses both sides every time (what 'versions compare --batch' \
            does), 'compare' orders already-parsed versions (what range evaluation does).
            """
        )

        @Option(help: "Directory of <Ecosystem>.txt version lists.")
        var corpus: String

        @Option(help: "Pairs per ecosystem.")
        var pairs = 200_000

        func run() throws {
            let files = try FileManager.default.contentsOfDirectory(atPath: corpus).filter { $0.hasSuffix(".txt") }.sorted()
            if files.isEmpty { throw ValidationError("no <Ecosystem>.txt files in \(corpus)") }
            print("ecosystem        versions  baseline/s   parse+compare/s  ratio   compare/s        ratio")
            for file in files {
                let name = String(file.dropLast(4))
                let scheme: VersionScheme
                do { scheme = try VersionScheme(ecosystem: Ecosystem(name)) } catch { continue }
                let text = try String(contentsOfFile: corpus + "/" + file, encoding: .utf8)
                let versions = text.split(separator: "\n").map(String.init).filter { (try? scheme.validate($0)) != nil }
                guard versions.count >= 2 else { continue }
                var generator = SplitMix64(seed: 0x5EED)
                let indices = (0..<pairs).map { _ in
                    (Int(generator.next() % UInt64(versions.count)), Int(generator.next() % UInt64(versions.count)))
                }
                let baseline = measure(indices.count) {
                    var n = 0
                    for (i, j) in indices where versions[i] < versions[j] { n += 1 }
                    return n
                }
                let full = measure(indices.count) {
                    var n = 0
                    for (i, j) in indices where (try? scheme.compare(versions[i], versions[j])) == .orderedAscending { n += 1 }
                    return n
                }
                let parsedOnly = Self.measureParsed(scheme.versionType, versions, indices)
                print(
                    name.padding(toLength: 16, withPad: " ", startingAt: 0),
                    String(versions.count).leftPadded(8),
                    format(baseline).leftPadded(11),
                    format(full).leftPadded(17),
                    String(format: "%5.2f", full / baseline).leftPadded(6),
                    format(parsedOnly).leftPadded(14),
                    String(format: "%5.2f", parsedOnly / baseline).leftPadded(12)
                )
            }
        }

        private static func measureParsed<V: EcosystemVersion>(_ type: V.Type, _ versions: [String], _ indices: [(Int, Int)]) -> Double {
            let parsed = versions.compactMap { try? V(parsing: $0) }
            return measure(indices.count) {
                var n = 0
                for (i, j) in indices where parsed[i] < parsed[j] { n += 1 }
                return n
            }
        }
    }
}

/// Operations per second of `body`, best of three runs; the body's result is kept so the work is not optimised away.
private func measure(_ operations: Int, _ body: () -> Int) -> Double {
    var best = Double.infinity
    var sink = 0
    for _ in 0..<3 {
        let start = ContinuousClock.now
        sink &+= body()
        let elapsed = ContinuousClock.now - start
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) * 1e-18
        best = min(best, seconds)
    }
    if sink == Int.min { print("") }
    return Double(operations) / max(best, 1e-9)
}

private func format(_ rate: Double) -> String {
    rate >= 1e6 ? String(format: "%.2fM", rate / 1e6) : String(format: "%.0fk", rate / 1e3)
}

extension String {
    fileprivate func leftPadded(_ width: Int) -> String {
        count >= width ? self : String(repeating: " ", count: width - count) + self
    }
}
