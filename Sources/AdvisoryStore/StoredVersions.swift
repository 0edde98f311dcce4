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
        var result = AffectedVersions()
        for line in text.split(separator: "\n") {
            var fields = line.split(separator: "\t", omittingEmptySubsequences: false).makeIterator()
            guard let head = fields.next() else { continue }
            if head == "=" {
                while let v = fields.next() { result.versions.append(String(v)) }
                continue
            }
            var range = AffectedRange(kind: .init(String(head)), events: [])
            while let field = fields.next() {
                guard field.count >= 2 else { continue }
                let value = String(field.dropFirst(2))
                switch field.first {
                case "i": range.events.append(.introduced(value))
                case "f": range.events.append(.fixed(value))
                case "l": range.events.append(.lastAffected(value))
                case "m": range.events.append(.limit(value))
                default: continue
                }
            }
            result.ranges.append(range)
        }
        return result
    }

    /// True when every version string can be stored in this form.
    static func canStore(_ versions: AffectedVersions) -> Bool {
        let all = versions.versions + versions.ranges.flatMap { $0.events.map(\.version) }
        return all.allSatisfy { !$0.contains("\t") && !$0.contains("\n") && !$0.contains("\r") }
    }
}
