import Advisories
import AdvisoryStore
import Foundation
import Versions

/// What `vigil db show` prints, as text or JSON.
struct AdvisoryView: Encodable {
    struct Score: Encodable {
        var type: String
        var vector: String
        var baseScore: Double?
        var severity: String?
        var note: String?
    }

    var id: String
    var summary: String?
    var aliases: [String]
    var related: [String]
    var upstream: [String]
    var published: String?
    var modified: String
    var withdrawn: String?
    var severity: [Score]
    var databaseSeverity: String?
    var affected: [AffectedView]
    var kev: [AdvisoryDatabase.KEVEntry]
    var epss: [AdvisoryDatabase.EPSSEntry]
    var references: [String]
    var source: String

    init(_ advisory: AdvisoryDatabase.Advisory) {
        let r = advisory.record
        id = r.id
        summary = r.summary ?? r.details.map { String($0.prefix(200)) }
        aliases = r.aliases ?? []
        related = r.related ?? []
        upstream = r.upstream ?? []
        published = r.published
        modified = r.modified
        withdrawn = r.withdrawn
        let all = (r.severity ?? []) + (r.affected ?? []).flatMap { $0.severity ?? [] }
        var seen = Set<String>()
        severity = all.filter { seen.insert($0.score).inserted }.map { s in
            guard s.type.hasPrefix("CVSS") else { return Score(type: s.type, vector: s.score) }
            do {
                let score = try CVSSScore(vector: s.score)
                return Score(type: s.type, vector: s.score, baseScore: score.baseScore, severity: score.severity.rawValue)
            } catch {
                return Score(type: s.type, vector: s.score, note: "\(error)")
            }
        }
        databaseSeverity = r.databaseSpecific?["severity"]?.string
            ?? (r.affected ?? []).lazy.compactMap { $0.databaseSpecific?["severity"]?.string ?? $0.ecosystemSpecific?["severity"]?.string ?? $0.ecosystemSpecific?["urgency"]?.string }.first
        affected = (r.affected ?? []).compactMap { entry in
            guard let package = entry.package else { return nil }
            return AffectedView(ecosystem: package.ecosystem, name: package.name, advisoryID: r.id, versions: entry.affectedVersions)
        }
        kev = advisory.kev
        epss = advisory.epss
        references = (r.references ?? []).map(\.url)
        source = advisory.source
    }

    var text: String {
        var lines = ["\(id)\(withdrawn.map { " (withdrawn \($0))" } ?? "")"]
        if let summary { lines.append("  \(summary)") }
        if !aliases.isEmpty { lines.append("  aliases: \(aliases.joined(separator: ", "))") }
        if !related.isEmpty { lines.append("  related: \(related.prefix(10).joined(separator: ", "))\(related.count > 10 ? ", ..." : "")") }
        if !upstream.isEmpty { lines.append("  upstream: \(upstream.prefix(10).joined(separator: ", "))") }
        lines.append("  published: \(published ?? "-")  modified: \(modified)")
        for s in severity {
            if let base = s.baseScore, let band = s.severity {
                lines.append("  \(s.type): \(base) \(band)  \(s.vector)")
            } else {
                lines.append("  \(s.type): \(s.vector)\(s.note.map { "  (\($0))" } ?? "")")
            }
        }
        if let databaseSeverity { lines.append("  source severity: \(databaseSeverity)") }
        for k in kev {
            lines.append("  KEV: \(k.cve) added \(k.dateAdded), due \(k.dueDate ?? "-"), ransomware use \(k.knownRansomwareCampaignUse ?? "-")")
            if let action = k.requiredAction { lines.append("       required action: \(action)") }
        }
        for e in epss { lines.append(String(format: "  EPSS: %@ %.5f (percentile %.5f)", e.cve, e.probability, e.percentile)) }
        for a in affected { lines.append("  affects " + a.text) }
        lines.append("  source: \(source)")
        return lines.joined(separator: "\n")
    }
}

/// One affected package entry, as `vigil db search` and `show` print it.
struct AffectedView: Encodable {
    var ecosystem: String
    var name: String
    var advisoryID: String
    var ranges: [String]
    var versions: [String]

    init(ecosystem: String, name: String, advisoryID: String, versions: AffectedVersions) {
        self.ecosystem = ecosystem
        self.name = name
        self.advisoryID = advisoryID
        ranges = versions.rangeTexts
        self.versions = versions.listed
    }

    init(_ entry: AdvisoryDatabase.AffectedEntry) {
        self.init(ecosystem: entry.ecosystem, name: entry.name, advisoryID: entry.advisoryID, versions: entry.versions)
    }

    var text: String {
        var parts = ["\(advisoryID)  \(ecosystem) \(name)"]
        if !ranges.isEmpty { parts.append(ranges.joined(separator: "; ")) }
        if !versions.isEmpty { parts.append("\(versions.count) listed versions") }
        return parts.joined(separator: "  ")
    }
}
