import Foundation

/// Writing to standard error and buffered writing to standard output.
enum StandardStreams {
    static func error(_ message: String) {
        raw(message + "\n")
    }

    /// Writes to standard error without adding a newline.
    static func raw(_ text: String) {
        FileHandle.standardError.write(Data(text.utf8))
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
        FileHandle.standardOutput.write(Data(buffer))
        buffer.removeAll(keepingCapacity: true)
    }
}
