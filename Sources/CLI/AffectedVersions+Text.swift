import Versions

extension AffectedVersions {
    /// Each range as text: `ECOSYSTEM: >=1.0 <1.2, <=2.0`.
    var rangeTexts: [String] {
        ranges.map { range in
            let events = range.events.map { event -> String in
                switch event {
                case let .introduced(v): v == "0" ? ">=0" : ">=\(v)"
                case let .fixed(v): "<\(v)"
                case let .lastAffected(v): "<=\(v)"
                case let .limit(v): "limit \(v)"
                }
            }
            return "\(range.kind.osvName): \(events.joined(separator: " "))"
        }
    }

    var listed: [String] { versions }
}
