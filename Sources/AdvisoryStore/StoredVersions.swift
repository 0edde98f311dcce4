import Versions

/// The compact text form of an affected entry's ranges and versions in the `affected.versions`
/// column, read on every lookup: much cheaper to parse than JSON.
///
/// One line per range, `TYPE` then tab-separated `kind=version` events (`i` introduced, `f` fixed,
/// `l` last_affected, `m` limit); then one line `=` with the tab-separated `versions` list.
/// OSV versions never contain tabs, CRs or newlines (the importer rejects records whose do).
enum StoredVersions {
    static func encode(_ versions: AffectedVersions) -> String {
        var lines: [String] = versions.ranges.map { range in
            ([range.kind.osvName] + range.events.map { event in
                switch event {
                case let .introduced(v): "i=" + v
                case let .fixed(v): "f=" + v
                case let .lastAffected(v): "l=" + v
                case let .limit(v): "m=" + v
                }
            }).joined(separator: "\t")
        }
        if !versions.versions.isEmpty { lines.append((["="] + versions.versions).joined(separator: "\t")) }
        return lines.joined(separator: "\n")
    }

    static func decode(_ text: String) -> AffectedVersions {
        // Byte scanning: this runs for every affected entry of every lookup.
        var result = AffectedVersions()
        var text = text
        text.withUTF8 { bytes in
            var lineStart = 0
            let count = bytes.count
            while lineStart < count {
                var lineEnd = lineStart
                while lineEnd < count && bytes[lineEnd] != 0x0A { lineEnd += 1 }
                var fieldStart = lineStart
                var fieldEnd = fieldStart
                while fieldEnd < lineEnd && bytes[fieldEnd] != 0x09 { fieldEnd += 1 }
                let isList = fieldEnd - fieldStart == 1 && bytes[fieldStart] == UInt8(ascii: "=")
                var range = AffectedRange(kind: .init(String(decoding: UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd]), as: UTF8.self)), events: [])
                fieldStart = fieldEnd + 1
                while fieldStart <= lineEnd && fieldStart < count + 1 {
                    fieldEnd = fieldStart
                    while fieldEnd < lineEnd && bytes[fieldEnd] != 0x09 { fieldEnd += 1 }
                    if isList {
                        result.versions.append(String(decoding: UnsafeBufferPointer(rebasing: bytes[fieldStart..<fieldEnd]), as: UTF8.self))
                    } else if fieldEnd - fieldStart >= 2 {
                        let value = String(decoding: UnsafeBufferPointer(rebasing: bytes[(fieldStart + 2)..<fieldEnd]), as: UTF8.self)
                        switch bytes[fieldStart] {
                        case UInt8(ascii: "i"): range.events.append(.introduced(value))
                        case UInt8(ascii: "f"): range.events.append(.fixed(value))
                        case UInt8(ascii: "l"): range.events.append(.lastAffected(value))
                        case UInt8(ascii: "m"): range.events.append(.limit(value))
                        default: break
                        }
                    }
                    if fieldEnd >= lineEnd { break }
                    fieldStart = fieldEnd + 1
                }
                if !isList { result.ranges.append(range) }
                lineStart = lineEnd + 1
            }
        }
        return result
    }

    /// True when every version string can be stored in this form.
    static func canStore(_ versions: AffectedVersions) -> Bool {
        let all = versions.versions + versions.ranges.flatMap { $0.events.map(\.version) }
        return all.allSatisfy { !$0.contains("\t") && !$0.contains("\n") && !$0.contains("\r") }
    }
}
