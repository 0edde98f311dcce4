import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Progress on standard error: one line rewritten in place on a terminal, plain lines (at most one
/// a second) otherwise, so logs stay readable.
final class ProgressReporter: @unchecked Sendable {
    private let lock = NSLock()
    private let isTerminal = isatty(STDERR_FILENO) != 0
    private var lastPlainLine = Date.distantPast
    private var active = false
    private let terminalOnly: Bool

    /// - Parameter terminalOnly: print nothing unless standard error is a terminal.
    init(terminalOnly: Bool = false) {
        self.terminalOnly = terminalOnly
    }

    func update(_ message: String) {
        lock.withLock {
            if terminalOnly && !isTerminal { return }
            if isTerminal {
                StandardStreams.raw("\r\u{1B}[K" + message)
                active = true
            } else if Date().timeIntervalSince(lastPlainLine) >= 1 {
                StandardStreams.error(message)
                lastPlainLine = Date()
            }
        }
    }

    func finish() {
        lock.withLock {
            if active { StandardStreams.raw("\r\u{1B}[K") }
            active = false
        }
    }
}
