import Foundation

/// Results of concurrent work, one slot per task, each written once by its task.
public final class Slots<T>: @unchecked Sendable {
    private let lock = NSLock()
    private var slots: [T?]

    public init(count: Int) { slots = Array(repeating: nil, count: count) }

    public func set(_ i: Int, _ value: T) { lock.withLock { slots[i] = value } }

    public var values: [T?] { lock.withLock { slots } }
}
