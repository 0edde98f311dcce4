import Foundation

/// Writing to standard error and buffered writing to standard output.
enum StandardStreams {
    static func error(_ message: String) {
        raw(message + "\n")
    }

    /// Writes to standard error without adding a newline.
    static func raw(_ text: String) {
        try? FileHandle.standardError.write(contentsOf: Data(text.utf8))
    }

    /// Writes to standard output; a reader that went away (`| head`) ends the command quietly
    /// instead of crashing it.
    static func output(_ data: Data) {
        do {
            try FileHandle.standardOutput.write(contentsOf: data)
        } catch {
            exit(0)
        }
    }
}

/// Standard output through a 64 KiB buffer, for commands that print one short line per input line.
struct BufferedOutput {
    private var buffer: [UInt8] = []

    init() { buffer.reserveCapacity(1 << 16) }

    mutating func write(_ text: String) {
        buffer.append(contentsOf: text.utf8)
        if buffer.count >= 1 << 16 { flush() }
    }

    mutating func flush() {
        guard !buffer.isEmpty else { return }
        StandardStreams.output(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
