import AdvisoryStore
import Archives
import ArgumentParser
import Findings
import Foundation
import Inventory
import Matching
import VigilCore

/// `vigil scan`: one target's findings against the advisory store, for people and CI gates.
struct ScanCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Find known vulnerabilities in an image, a directory, a zip or an SBOM (no server needed).",
        discussion: """
        Exit status: 0 when no finding at or above --fail-on remains (or without --fail-on), 1 when one does, \
        2 for usage or input errors. Findings suppressed by --ignore-file or --vex are left out of the table, \
        SARIF and CycloneDX reports and never fail the scan; the json and inspector reports keep them with \
        status SUPPRESSED.
        """
    )

    enum Format: String, ExpressibleByArgument, CaseIterable {
        case table, json, inspector, sarif, cyclonedx
    }

    @Argument(help: "What to scan: anything `vigil sbom` accepts, or a CycloneDX / SPDX JSON SBOM.") var target: String
    @Option(help: "Report format: table, json, inspector, sarif or cyclonedx.") var format: Format = .table
    @Option(name: .shortAndLong, help: "Write the report to FILE instead of standard output.") var output: String?
    @Option(help: "Only these severities (comma-separated: CRITICAL,HIGH,MEDIUM,LOW,INFORMATIONAL,UNTRIAGED).") var severity: String?
    @Flag(help: "Leave out findings with no fixed version.") var ignoreUnfixed = false
    @Option(help: "Exit 1 when a finding at or above this severity remains (e.g. HIGH).") var failOn: String?
    @Option(help: "Vulnerability ids to suppress, one per line: ID [exp:YYYY-MM-DD] [# reason].") var ignoreFile: String?
    @Option(help: "OpenVEX or CycloneDX VEX document: not_affected statements suppress.") var vex: String?
    @Option(help: "Advisory database file to use instead of the data directory's.") var db: String?
    @Flag(help: "Use no network at all (registry targets are refused).") var offline = false
    @OptionGroup var images: ImageOptions
    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        do {
            try await scan()
        } catch let exit as ExitCode {
            throw exit
        } catch {
            StandardStreams.error("vigil: \(error)")
            throw ExitCode(2)
        }
    }

    func severities(_ text: String, option: String) throws -> [Severity] {
        try text.split(separator: ",").map { part in
            guard let value = Severity(rawValue: part.trimmingCharacters(in: .whitespaces).uppercased()) else {
                throw ValidationError("\(option): '\(part)' is not a severity (CRITICAL, HIGH, MEDIUM, LOW, INFORMATIONAL, UNTRIAGED)")
            }
            return value
        }
    }

    func scan() async throws {
        let wanted = try severity.map { try severities($0, option: "--severity") }
        let threshold = try failOn.map { try severities($0, option: "--fail-on") }?.first
        let ignores = try ignoreFile.map { try IgnoreFile.read($0) } ?? IgnoreFile(entries: [])
        let statements = try vex.map { try VEX.read($0) } ?? []
        if offline, target.hasPrefix("registry:") || target.hasPrefix("docker://") {
            throw ValidationError("--offline: \(target) needs the network")
        }
        let database = try db.map { try AdvisoryDatabase(path: $0) } ?? AdvisoryDatabase(dataDirectory: data.url)
        let progress = ProgressReporter(terminalOnly: true)
        progress.update("reading \(target)")
        let scanned = try await Targets.inventory(of: target, images: images, dataDirectory: data.url, progress: progress)
        let inventory = scanned.inventory
        progress.update("matching \(inventory.packages.count) packages")
        let (matches, problems) = try Matcher(database: database).matches(inventory.packages)
        progress.finish()
        let resource = Self.resource(target: target, image: scanned.image)
        var findings = try FindingBuilder(database: database).findings(for: matches, context: .init(resource: resource))

        var suppressedCount = 0
        let today = Date()
        for n in findings.indices {
            let id = findings[n].packageVulnerabilityDetails?.vulnerabilityId ?? ""
            let related = findings[n].packageVulnerabilityDetails?.relatedVulnerabilities ?? []
            if ignores.suppresses(id, related: related, on: today) || VEX.suppresses(statements, finding: findings[n], packages: inventory.packages) {
                findings[n].status = "SUPPRESSED"
                suppressedCount += 1
            }
        }
        findings = findings.filter { f in
            (wanted.map { $0.contains(Severity(rawValue: f.severity) ?? .untriaged) } ?? true)
                && (!ignoreUnfixed || f.fixAvailable != "NO")
        }
        findings.sort { a, b in
            let sa = Severity(rawValue: a.severity) ?? .untriaged, sb = Severity(rawValue: b.severity) ?? .untriaged
            if sa != sb { return sa > sb }
            if (a.inspectorScore ?? 0) != (b.inspectorScore ?? 0) { return (a.inspectorScore ?? 0) > (b.inspectorScore ?? 0) }
            return (a.title ?? "") < (b.title ?? "")
        }
        let active = findings.filter { $0.status == "ACTIVE" }
        let report: Data
        switch format {
        case .table: report = Data(Reports.table(active, color: output == nil && isatty(1) != 0).utf8)
        case .json: report = try Reports.json(VigilScanReport(target: target, image: scanned.image, operatingSystem: inventory.operatingSystem,
                                                              packages: inventory.packages.count, findings: findings,
                                                              problems: inventory.problems + problems))
        case .inspector: report = try Reports.json(InspectorReport(findings: findings))
        case .sarif: report = try Reports.sarif(active, target: target)
        case .cyclonedx: report = try Reports.cycloneDX(active, inventory: inventory, target: target)
        }
        if let output {
            try report.write(to: URL(fileURLWithPath: output), options: .atomic)
        } else {
            StandardStreams.output(report + (report.last == UInt8(ascii: "\n") ? Data() : Data("\n".utf8)))
        }
        for problem in inventory.problems + problems { StandardStreams.error("problem: \(problem)") }
        if suppressedCount > 0 { StandardStreams.error("\(suppressedCount) finding(s) suppressed by the ignore file or VEX") }
        if let threshold, active.contains(where: { (Severity(rawValue: $0.severity) ?? .untriaged) >= threshold }) {
            StandardStreams.error("vigil: findings at or above \(threshold.rawValue): failing")
            throw ExitCode(1)
        }
    }

    /// The resource findings are about: an image as an ECR image, a zip as a function, else a host.
    static func resource(target: String, image: ImageMetadata?) -> Resource {
        if let image {
            let repository = image.repository ?? image.tags.first.map { $0.split(separator: ":").dropLast().joined(separator: ":") }.flatMap { $0.isEmpty ? nil : $0 } ?? "local"
            let digest = image.digest ?? image.configDigest
            return Resource(
                type: "AWS_ECR_CONTAINER_IMAGE", id: "arn:aws:ecr:local:000000000000:repository/\(repository)/\(digest)", partition: "aws", region: "local",
                details: ResourceDetails(awsEcrContainerImage: AwsEcrContainerImageDetails(
                    repositoryName: repository, imageTags: image.tags, author: image.author, architecture: image.architecture,
                    imageHash: digest, registry: image.registry ?? image.source, platform: image.os)))
        }
        let isZip = target.lowercased().hasSuffix(".zip")
        return Resource(type: isZip ? "AWS_LAMBDA_FUNCTION" : "AWS_EC2_INSTANCE", id: target, partition: "aws", region: "local")
    }
}

struct InspectorReport: Encodable {
    var findings: [Finding]
}

struct VigilScanReport: Encodable {
    var target: String
    var image: ImageMetadata?
    var operatingSystem: OperatingSystem?
    var packages: Int
    var findings: [Finding]
    var problems: [String]
}

/// `--ignore-file`: `ID [exp:YYYY-MM-DD] [# reason]` per line; `#` lines are comments.
struct IgnoreFile {
    struct Entry {
        var id: String
        var expires: Date?
    }

    var entries: [Entry]

    static func read(_ path: String) throws -> IgnoreFile {
        guard let data = FileManager.default.contents(atPath: path) else { throw InventoryError.notFound(path) }
        var entries: [Entry] = []
        for (n, raw) in String(decoding: data, as: UTF8.self).split(whereSeparator: \.isNewline).enumerated() {
            let line = raw.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first?.trimmingCharacters(in: .whitespaces) ?? ""
            guard !line.isEmpty else { continue }
            let words = line.split(separator: " ", omittingEmptySubsequences: true)
            var entry = Entry(id: String(words[0]))
            for word in words.dropFirst() {
                guard word.hasPrefix("exp:"), let date = ISO8601DateFormatter.day.date(from: String(word.dropFirst(4))) else {
                    throw ValidationError("\(path):\(n + 1): '\(word)' is not exp:YYYY-MM-DD")
                }
                // The entry applies through the whole expiry day.
                entry.expires = date.addingTimeInterval(86_400)
            }
            entries.append(entry)
        }
        return IgnoreFile(entries: entries)
    }

    func suppresses(_ id: String, related: [String], on date: Date) -> Bool {
        entries.contains { ($0.id == id || related.contains($0.id)) && ($0.expires.map { date < $0 } ?? true) }
    }
}

extension ISO8601DateFormatter {
    /// A formatter for `YYYY-MM-DD` (made per use: formatters are not Sendable).
    static var day: ISO8601DateFormatter {
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withFullDate]
        return formatter
    }
}

/// OpenVEX (`statements[]`) and CycloneDX VEX (`vulnerabilities[].analysis`) statements that say a
/// vulnerability does not affect a product.
enum VEX {
    struct Statement {
        var vulnerability: String
        /// purls (without version) the statement is limited to; empty means every package.
        var products: [String]
        var justification: String?
    }

    static func read(_ path: String) throws -> [Statement] {
        guard let data = FileManager.default.contents(atPath: path) else { throw InventoryError.notFound(path) }
        guard let json = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw InventoryError.malformed(path: path, reason: "not a JSON object (OpenVEX or CycloneDX VEX expected)")
        }
        var out: [Statement] = []
        if let statements = json["statements"] as? [[String: Any]] {
            for statement in statements where statement["status"] as? String == "not_affected" {
                let vulnerability = (statement["vulnerability"] as? [String: Any])?["name"] as? String ?? statement["vulnerability"] as? String
                guard let vulnerability else { continue }
                let products = (statement["products"] as? [Any] ?? []).compactMap { product -> String? in
                    (product as? String) ?? (product as? [String: Any])?["@id"] as? String
                }
                out.append(Statement(vulnerability: vulnerability, products: products.filter { $0.hasPrefix("pkg:") }, justification: statement["justification"] as? String))
            }
            return out
        }
        if json["bomFormat"] as? String == "CycloneDX" {
            for entry in json["vulnerabilities"] as? [[String: Any]] ?? [] {
                guard let id = entry["id"] as? String, let analysis = entry["analysis"] as? [String: Any],
                      ["not_affected", "false_positive", "resolved"].contains(analysis["state"] as? String ?? "") else { continue }
                let refs = (entry["affects"] as? [[String: Any]] ?? []).compactMap { $0["ref"] as? String }.filter { $0.hasPrefix("pkg:") }
                out.append(Statement(vulnerability: id, products: refs, justification: analysis["justification"] as? String))
            }
            return out
        }
        throw InventoryError.malformed(path: path, reason: "neither OpenVEX (statements) nor CycloneDX VEX (vulnerabilities)")
    }

    static func base(_ purl: String) -> String {
        var text = purl
        if let cut = text.firstIndex(where: { $0 == "?" || $0 == "#" }) { text = String(text[..<cut]) }
        if let at = text.lastIndex(of: "@") { text = String(text[..<at]) }
        return text.lowercased()
    }

    /// True when a statement covers the finding's vulnerability (or a related id) and every
    /// vulnerable package of it.
    static func suppresses(_ statements: [Statement], finding: Finding, packages: [Package]) -> Bool {
        guard let details = finding.packageVulnerabilityDetails else { return false }
        let ids = [details.vulnerabilityId] + (details.relatedVulnerabilities ?? [])
        let relevant = statements.filter { ids.contains($0.vulnerability) }
        guard !relevant.isEmpty else { return false }
        return (details.vulnerablePackages ?? []).allSatisfy { vulnerable in
            let purl = packages.first { $0.name == vulnerable.name && $0.path == vulnerable.filePath }?.purl
            return relevant.contains { statement in
                statement.products.isEmpty || purl.map { p in statement.products.contains { base($0) == base(p) } } ?? false
            }
        }
    }
}
