import Foundation

/// Just enough of the ELF format to find a named section in a 64-bit little-endian binary.
enum ELF {
    static func isELF(_ head: Data) -> Bool { head.count >= 4 && head.prefix(4).elementsEqual([0x7F, 0x45, 0x4C, 0x46]) }

    /// The contents of section `name`, or nil when the binary is not ELF64 LE or has no such section.
    static func section(_ name: String, in binary: Data) -> Data? {
        let b = binary
        let s = b.startIndex
        guard b.count >= 64, isELF(b), b[s + 4] == 2, b[s + 5] == 1 else { return nil }
        func u16(_ o: Int) -> Int { Int(b[s + o]) | Int(b[s + o + 1]) << 8 }
        func u32(_ o: Int) -> Int { u16(o) | u16(o + 2) << 16 }
        func u64(_ o: Int) -> Int? {
            let low = u32(o), high = u32(o + 4)
            return high == 0 ? low : nil  // offsets beyond 4 GiB are not plausible here
        }
        guard let shoff = u64(0x28) else { return nil }
        let shentsize = u16(0x3A), shnum = u16(0x3C), shstrndx = u16(0x3E)
        guard shentsize >= 64, shstrndx < shnum, shoff > 0, shoff + shnum * shentsize <= b.count else { return nil }
        func header(_ k: Int) -> (name: Int, offset: Int, size: Int)? {
            let h = shoff + k * shentsize
            guard let offset = u64(h + 0x18), let size = u64(h + 0x20), offset + size <= b.count else { return nil }
            return (u32(h), offset, size)
        }
        guard let strings = header(shstrndx) else { return nil }
        let wanted = Array(name.utf8)
        for k in 0..<shnum {
            guard let h = header(k), h.name < strings.size else { continue }
            let start = s + strings.offset + h.name
            let end = b[start..<(s + strings.offset + strings.size)].firstIndex(of: 0) ?? start
            if b[start..<end].elementsEqual(wanted) { return b.subdata(in: (s + h.offset)..<(s + h.offset + h.size)) }
        }
        return nil
    }
}
