import Foundation

/// Just enough of the ELF format to find named sections in a 64-bit little-endian binary.
enum ELF {
    static func isELF(_ head: Data) -> Bool { head.count >= 4 && head.prefix(4).elementsEqual([0x7F, 0x45, 0x4C, 0x46]) }

    /// The sections of an ELF64 little-endian file by name (file offset range), read from its
    /// headers alone; nil when the file is not such an ELF file, empty when it has no section table.
    static func sections(_ fs: FileSystem, _ path: String) throws -> [String: Range<Int>]? {
        guard let headData = try fs.readPrefix(path, count: 64), headData.count == 64, isELF(headData) else { return nil }
        let head = [UInt8](headData)
        guard head[4] == 2, head[5] == 1 else { return nil }
        func u16(_ d: [UInt8], _ o: Int) -> Int { Int(d[o]) | Int(d[o + 1]) << 8 }
        func u32(_ d: [UInt8], _ o: Int) -> Int { u16(d, o) | u16(d, o + 2) << 16 }
        func u64(_ d: [UInt8], _ o: Int) -> Int { u32(d, o + 4) == 0 ? u32(d, o) : -1 }
        let shoff = u64(head, 0x28), shentsize = u16(head, 0x3A), shnum = u16(head, 0x3C), shstrndx = u16(head, 0x3E)
        guard shoff > 0, shnum > 0, shentsize >= 64, shstrndx < shnum, shnum * shentsize <= 1 << 22,
              let tableData = try fs.read(path, offset: shoff, count: shnum * shentsize), tableData.count == shnum * shentsize else { return [:] }
        let table = [UInt8](tableData)
        func range(_ k: Int) -> (name: Int, range: Range<Int>)? {
            let h = k * shentsize
            let offset = u64(table, h + 0x18), size = u64(table, h + 0x20)
            guard offset >= 0, size >= 0 else { return nil }
            return (u32(table, h), offset..<(offset + size))
        }
        guard let strings = range(shstrndx), strings.range.count <= 1 << 20,
              let nameData = try fs.read(path, offset: strings.range.lowerBound, count: strings.range.count) else { return [:] }
        let names = [UInt8](nameData)
        var out: [String: Range<Int>] = [:]
        for k in 0..<shnum {
            guard let h = range(k), h.name < names.count else { continue }
            let start = h.name
            let end = names[start...].firstIndex(of: 0) ?? names.endIndex
            out[String(decoding: names[start..<end], as: UTF8.self)] = h.range
        }
        return out
    }
}
