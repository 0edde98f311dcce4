/// Byte-level helpers shared by the version parsers. Package managers define their orderings over
/// ASCII bytes (C's `isdigit`, `isalpha`), so the parsers work on UTF-8 bytes, not Characters.
enum ASCII {
    static func isDigit(_ c: UInt8) -> Bool { c &- 0x30 < 10 }
    static func isAlpha(_ c: UInt8) -> Bool { (c | 0x20) &- 0x61 < 26 }
    static func isLower(_ c: UInt8) -> Bool { c &- 0x61 < 26 }
    static func isAlphanumeric(_ c: UInt8) -> Bool { isDigit(c) || isAlpha(c) }
    static func lowercased(_ c: UInt8) -> UInt8 { c &- 0x41 < 26 ? c | 0x20 : c }
    static func uppercased(_ c: UInt8) -> UInt8 { c &- 0x61 < 26 ? c & ~0x20 : c }
    static func isBlank(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 }
    static func isSpace(_ c: UInt8) -> Bool { c == 0x20 || (c >= 0x09 && c <= 0x0D) }

    /// Compares two runs of decimal digits as unbounded non-negative integers (leading zeros ignored),
    /// so that numbers beyond 64 bits order correctly.
    static func compareNumerals<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Int {
        let x = a.drop { $0 == 0x30 }
        let y = b.drop { $0 == 0x30 }
        let (cx, cy) = (x.count, y.count)
        if cx != cy { return cx < cy ? -1 : 1 }
        for (p, q) in zip(x, y) where p != q { return p < q ? -1 : 1 }
        return 0
    }

    /// Byte-wise lexicographic comparison (C's `strcmp` on the two runs).
    static func compareBytes<A: Collection<UInt8>, B: Collection<UInt8>>(_ a: A, _ b: B) -> Int {
        var i = a.makeIterator(), j = b.makeIterator()
        while true {
            switch (i.next(), j.next()) {
            case (nil, nil): return 0
            case (nil, _): return -1
            case (_, nil): return 1
            case let (p?, q?): if p != q { return p < q ? -1 : 1 }
            }
        }
    }
}

extension Int {
    /// -1, 0 or 1 as a `Comparable` result helper.
    static func sign<T: Comparable>(_ a: T, _ b: T) -> Int { a < b ? -1 : (a == b ? 0 : 1) }
}

extension ASCII {
    /// Calls `body` with the UTF-8 bytes of `s` without copying when the string is native.
    @inline(__always)
    static func withBytes<R>(_ s: String, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let r = s.utf8.withContiguousStorageIfAvailable(body) { return r }
        return Array(s.utf8).withUnsafeBufferPointer(body)
    }
}
