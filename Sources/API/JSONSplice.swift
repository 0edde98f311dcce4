import Foundation

/// Top-level members of a JSON object document replaced without decoding it: what a page of stored
/// finding documents needs (a visible status and a last observation) at a fraction of a decode
/// and re-encode.
enum JSONSplice {
    /// `document` with the top-level members in `values` (raw JSON texts) replaced, or added when
    /// absent; nil when the document is not a well-formed JSON object at its top level.
    static func replacing(_ values: [String: String], in document: String) -> String? {
        let bytes = Array(document.utf8)
        var i = 0
        func skipSpace() { while i < bytes.count, bytes[i] == 0x20 || bytes[i] == 0x0A || bytes[i] == 0x0D || bytes[i] == 0x09 { i += 1 } }
        /// Past a string starting at `i` (a quote); false when it never ends.
        func skipString() -> Bool {
            i += 1
            while i < bytes.count {
                if bytes[i] == 0x5C { i += 2; continue }
                if bytes[i] == 0x22 { i += 1; return true }
                i += 1
            }
            return false
        }
        /// Past one value starting at `i`.
        func skipValue() -> Bool {
            guard i < bytes.count else { return false }
            if bytes[i] == 0x22 { return skipString() }
            if bytes[i] == 0x7B || bytes[i] == 0x5B {
                var depth = 0
                while i < bytes.count {
                    switch bytes[i] {
                    case 0x22: if !skipString() { return false }; continue
                    case 0x7B, 0x5B: depth += 1
                    case 0x7D, 0x5D:
                        depth -= 1
                        if depth == 0 { i += 1; return true }
                    default: break
                    }
                    i += 1
                }
                return false
            }
            let start = i
            while i < bytes.count, bytes[i] != 0x2C, bytes[i] != 0x7D, bytes[i] != 0x5D { i += 1 }
            while i > start, [0x20, 0x0A, 0x0D, 0x09].contains(bytes[i - 1]) { i -= 1 }
            return i > start
        }
        skipSpace()
        guard i < bytes.count, bytes[i] == 0x7B else { return nil }
        i += 1
        var replaced: [(Range<Int>, String)] = []
        var seen = Set<String>()
        skipSpace()
        if i < bytes.count, bytes[i] == 0x7D { i += 1 } else {
            while true {
                skipSpace()
                guard i < bytes.count, bytes[i] == 0x22 else { return nil }
                let keyStart = i + 1
                guard skipString() else { return nil }
                let key = String(decoding: bytes[keyStart..<(i - 1)], as: UTF8.self)
                skipSpace()
                guard i < bytes.count, bytes[i] == 0x3A else { return nil }
                i += 1
                skipSpace()
                let valueStart = i
                guard skipValue() else { return nil }
                if let value = values[key] {
                    replaced.append((valueStart..<i, value))
                    seen.insert(key)
                }
                skipSpace()
                guard i < bytes.count else { return nil }
                if bytes[i] == 0x2C { i += 1; continue }
                guard bytes[i] == 0x7D else { return nil }
                i += 1
                break
            }
        }
        skipSpace()
        guard i == bytes.count else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(bytes.count + 64)
        var at = 0
        for (range, value) in replaced {
            out += bytes[at..<range.lowerBound]
            out += Array(value.utf8)
            at = range.upperBound
        }
        let close = bytes.lastIndex(of: 0x7D)!
        out += bytes[at..<close]
        let added = values.keys.sorted().filter { !seen.contains($0) }
        let empty = !bytes[..<close].contains(0x3A)
        for (n, key) in added.enumerated() {
            if !(empty && n == 0) { out.append(0x2C) }
            out += Array("\"\(key)\":\(values[key]!)".utf8)
        }
        out += bytes[close...]
        return String(decoding: out, as: UTF8.self)
    }
}
