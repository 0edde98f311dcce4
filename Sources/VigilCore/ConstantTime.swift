/// Compares secrets (signatures, activation codes, token hashes) in time that depends only on their
/// lengths, never on where they first differ.
public func constantTimeEqual<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Bool {
    let x = Array(a), y = Array(b)
    var difference = UInt8(x.count == y.count ? 0 : 1)
    for k in 0..<max(x.count, y.count) { difference |= (k < x.count ? x[k] : 0) ^ (k < y.count ? y[k] : 0) }
    return difference == 0
}
