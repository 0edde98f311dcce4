import Foundation

/// Reads the header blobs out of the two pre-SQLite rpm database formats, without the libraries that
/// wrote them. Both readers only ever read: every offset is checked against the file before use.
enum RpmDatabaseFormat {
    /// Berkeley DB hash database (rpm ≤ 4.15, `/var/lib/rpm/Packages`: RHEL/CentOS 7 and 8, Amazon
    /// Linux 2). Layout from Berkeley DB's `dbinc/db_page.h` and `dbinc/db_am.h`: a metadata page
    /// (magic 0x061561 in the creator's byte order, page size, last page number), then pages with a
    /// 26-byte header (entries at 20, high-free offset at 22, type at 25) and an index of item
    /// offsets; hash pages hold key/data item pairs, a data item is inline (`H_KEYDATA`) or a chain of
    /// overflow pages (`H_OFFPAGE`: page number at 4, total length at 8).
    static func berkeleyHashValues(_ file: Data, path: String) throws -> [Data] {
        let b = [UInt8](file)
        func fail(_ reason: String) -> InventoryError { .malformed(path: path, reason: "Berkeley DB: \(reason)") }
        guard b.count >= 512 else { throw fail("file is \(b.count) bytes, shorter than a metadata page") }
        let littleEndian: Bool
        switch (b[12], b[13], b[14], b[15]) {
        case (0x61, 0x15, 0x06, 0x00): littleEndian = true
        case (0x00, 0x06, 0x15, 0x61): littleEndian = false
        default: throw fail("not a hash database (magic \(b[12..<16].map { String(format: "%02x", $0) }.joined()))")
        }
        func u32(_ o: Int) -> Int {
            let v = littleEndian
                ? UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24
                : UInt32(b[o]) << 24 | UInt32(b[o + 1]) << 16 | UInt32(b[o + 2]) << 8 | UInt32(b[o + 3])
            return Int(v)
        }
        func u16(_ o: Int) -> Int { littleEndian ? Int(b[o]) | Int(b[o + 1]) << 8 : Int(b[o]) << 8 | Int(b[o + 1]) }
        let pageSize = u32(20)
        guard [512, 1024, 2048, 4096, 8192, 16384, 32768, 65536].contains(pageSize) else { throw fail("page size \(pageSize) is not a power of two from 512 to 65536") }
        guard b[24] == 0 else { throw fail("encrypted databases are not supported") }
        guard b[26] & 0x01 == 0 else { throw fail("checksummed pages are not supported") }
        let lastPage = u32(32)
        guard (lastPage + 1) * pageSize <= b.count else { throw fail("last page \(lastPage) lies past the end of the \(b.count)-byte file (truncated?)") }
        let headerSize = 26

        func overflow(from first: Int, length: Int) throws -> Data {
            var out = Data(capacity: length)
            var page = first, hops = 0
            while out.count < length {
                guard page > 0, page <= lastPage, hops <= lastPage else { throw fail("overflow chain from page \(first) is broken at page \(page)") }
                let base = page * pageSize
                guard b[base + 25] == 7 else { throw fail("page \(page) in an overflow chain has type \(b[base + 25])") }
                let used = u16(base + 22)
                guard used <= pageSize - headerSize else { throw fail("overflow page \(page) claims \(used) bytes") }
                out.append(contentsOf: b[(base + headerSize)..<(base + headerSize + min(used, length - out.count))])
                page = u32(base + 16)
                hops += 1
            }
            return out
        }

        var values: [Data] = []
        for page in 1...max(1, lastPage) where page <= lastPage {
            let base = page * pageSize
            let type = b[base + 25]
            guard type == 13 || type == 2 else { continue }   // P_HASH, P_HASH_UNSORTED
            let entries = u16(base + 20)
            guard headerSize + entries * 2 <= pageSize else { throw fail("hash page \(page) claims \(entries) entries") }
            var offsets: [Int] = []
            for k in 0..<entries { offsets.append(u16(base + headerSize + 2 * k)) }
            var k = 0
            while k + 1 < entries {
                let keyStart = offsets[k], keyEnd = k == 0 ? pageSize : offsets[k - 1]
                let dataStart = offsets[k + 1], dataEnd = offsets[k]
                k += 2
                guard keyStart < keyEnd, keyEnd <= pageSize, dataStart < dataEnd, dataEnd <= pageSize else {
                    throw fail("hash page \(page) has an item outside the page")
                }
                // rpm's record 0 holds the next instance number, not a header.
                if b[base + keyStart] == 1, b[(base + keyStart + 1)..<(base + keyEnd)].allSatisfy({ $0 == 0 }) { continue }
                switch b[base + dataStart] {
                case 1:   // H_KEYDATA
                    values.append(Data(b[(base + dataStart + 1)..<(base + dataEnd)]))
                case 3:   // H_OFFPAGE
                    guard dataEnd - dataStart >= 12 else { throw fail("hash page \(page) has a short overflow reference") }
                    let length = u32(base + dataStart + 8)
                    guard length <= b.count else { throw fail("an item on page \(page) claims \(length) bytes") }
                    values.append(try overflow(from: u32(base + dataStart + 4), length: length))
                default:
                    throw fail("hash page \(page) has an item of unsupported type \(b[base + dataStart])")
                }
            }
        }
        return values
    }

    /// rpm's own "ndb" package database (`Packages.db`, openSUSE and SLE 15 since 2021). Layout from
    /// rpm's `lib/backend/ndb/rpmpkg.c`, all little-endian: a 32-byte file header (magic "RpmP",
    /// version 0, generation, number of 4096-byte slot pages), 16-byte slots after it ("Slot",
    /// package index — 0 when free —, block offset, block count), and at block offset × 16 each blob:
    /// "BlbS", package index, generation, length, then the header itself.
    static func ndbValues(_ file: Data, path: String) throws -> [Data] {
        let b = [UInt8](file)
        func fail(_ reason: String) -> InventoryError { .malformed(path: path, reason: "ndb: \(reason)") }
        func u32(_ o: Int) -> Int { Int(UInt32(b[o]) | UInt32(b[o + 1]) << 8 | UInt32(b[o + 2]) << 16 | UInt32(b[o + 3]) << 24) }
        guard b.count >= 32 else { throw fail("file is \(b.count) bytes, shorter than its header") }
        guard Array(b[0..<4]) == Array("RpmP".utf8) else { throw fail("bad magic") }
        guard u32(4) == 0 else { throw fail("unsupported version \(u32(4))") }
        let slotPages = u32(12)
        guard slotPages >= 1, slotPages * 4096 <= b.count else { throw fail("\(slotPages) slot pages do not fit in the \(b.count)-byte file") }
        var values: [Data] = []
        var slot = 32
        while slot + 16 <= slotPages * 4096 {
            defer { slot += 16 }
            guard Array(b[slot..<(slot + 4)]) == Array("Slot".utf8) else { throw fail("slot at byte \(slot) has a bad magic") }
            let index = u32(slot + 4), blockOffset = u32(slot + 8), blockCount = u32(slot + 12)
            guard index != 0 else { continue }
            let start = blockOffset * 16
            guard blockCount > 0, start + 16 <= b.count, start + blockCount * 16 <= b.count else {
                throw fail("package \(index)'s blob at block \(blockOffset) lies outside the file")
            }
            guard Array(b[start..<(start + 4)]) == Array("BlbS".utf8), u32(start + 4) == index else {
                throw fail("package \(index)'s blob at block \(blockOffset) has a bad head")
            }
            let length = u32(start + 12)
            guard 16 + length <= blockCount * 16 else { throw fail("package \(index)'s blob claims \(length) bytes in \(blockCount) blocks") }
            values.append(Data(b[(start + 16)..<(start + 16 + length)]))
        }
        return values
    }
}
