import Advisories
import ArgumentParser

/// `vigil cvss`: score and Inspector severity of CVSS vectors.
struct CVSSCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "cvss",
        abstract: "Print the score and severity of CVSS vectors ('9.8 CRITICAL').",
        discussion: "v2 and v3.x: the base score. v4.0: the score of the metrics given (CVSS-B, -BT or -BTE). An invalid vector prints '!' with the reason on standard error, and the command exits 2."
    )

    @Argument(help: "CVSS vectors, e.g. CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H.")
    var vectors: [String] = []

    @Flag(help: "Read vectors from standard input, one per line.")
    var batch = false

    func validate() throws {
        if batch == !vectors.isEmpty { throw ValidationError("give vectors as arguments, or --batch") }
    }

    func run() throws {
        var output = BufferedOutput()
        var failed = false
        func score(_ vector: String, line: Int?) {
            do {
                let result = try CVSSScore(vector: vector)
                output.write("\(result.baseScore) \(result.severity.rawValue)\n")
            } catch {
                output.write("!\n")
                StandardStreams.error((line.map { "line \($0): " } ?? "vigil: ") + error.description)
                failed = true
            }
        }
        if batch {
            var n = 0
            while let line = readLine() {
                n += 1
                score(line, line: n)
            }
        } else {
            for vector in vectors { score(vector, line: nil) }
        }
        output.flush()
        if failed { throw ExitCode(2) }
    }
}
