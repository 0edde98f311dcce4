import Advisories
import AdvisoryStore
import ArgumentParser
import Foundation
import Storage
import VigilCore

/// `--data-dir`, shared by every command that uses the data directory.
struct DataDirectoryOptions: ParsableArguments {
    /// Read from `--data-dir`, else the `VIGIL_DATA_DIR` environment variable, else `./.vigil`.
    @Option(name: .customLong("data-dir"), help: "Data directory (environment VIGIL_DATA_DIR, default ./.vigil).")
    var dataDir: String?

    var url: URL {
        URL(fileURLWithPath: dataDir ?? ProcessInfo.processInfo.environment["VIGIL_DATA_DIR"] ?? ".vigil")
    }
}

/// `vigil db`: the advisory database.
struct DatabaseCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "db",
        abstract: "Build and query the advisory database (OSV, CISA KEV, EPSS).",
        subcommands: [Import.self, Update.self, RequestUpdate.self, Status.self, Show.self, Search.self]
    )

    struct Import: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Import advisory data from files, directories or URLs, each recognised by its content.",
            discussion: "Inputs: an OSV record (JSON), a JSON array of records, a directory of records, an OSV zip (all.zip), CISA's KEV catalog, an EPSS CSV; any of them gzipped; local paths or http(s) URLs. Nothing changes unless every input is readable; malformed records are reported and skipped."
        )
        @OptionGroup var data: DataDirectoryOptions
        @Flag(help: "Print the report as JSON.") var json = false
        @Argument(help: "Paths or URLs.") var inputs: [String]

        func run() async throws {
            let reporter = ProgressReporter()
            let importer = try AdvisoryImporter(dataDirectory: data.url) { source, n in reporter.update("\(source): \(n) records") }
            do {
                for input in inputs { try await importer.importInput(input) }
                let report = try importer.finish()
                reporter.finish()
                try printReport(report, json: json)
            } catch {
                importer.abandon()
                reporter.finish()
                throw CommandFailure(error)
            }
        }
    }

    struct Update: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Update OSV (full load first, then only changed records), KEV and EPSS from their feeds or mirrors."
        )
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Base URL laid out like OSV's bucket (<Ecosystem>/all.zip, modified_id.csv, <ID>.json).")
        var osvBase: String = AdvisoryUpdater.defaultOSVBase?.absoluteString ?? ""
        @Option(name: .customLong("ecosystem"), help: "An ecosystem to keep current (repeatable; default: all in BASE/ecosystems.txt).")
        var ecosystems: [String] = []
        @Option(help: "KEV catalog URL.") var kev: String = AdvisoryUpdater.defaultKEV?.absoluteString ?? ""
        @Option(help: "EPSS scores URL (.csv or .csv.gz).") var epss: String = AdvisoryUpdater.defaultEPSS?.absoluteString ?? ""
        @Flag(help: "Skip KEV.") var noKev = false
        @Flag(help: "Skip EPSS.") var noEpss = false
        @Flag(help: "Print the report as JSON.") var json = false

        func run() async throws {
            guard let base = URL(string: osvBase), base.scheme != nil else { throw ValidationError("--osv-base '\(osvBase)' is not a URL") }
            let updater = AdvisoryUpdater(
                osvBase: base, ecosystems: ecosystems.isEmpty ? nil : ecosystems,
                kev: noKev ? nil : URL(string: kev), epss: noEpss ? nil : URL(string: epss)
            )
            let reporter = ProgressReporter()
            do {
                let report = try await updater.run(dataDirectory: data.url) { reporter.update($0) }
                reporter.finish()
                try printReport(report, json: json)
            } catch {
                reporter.finish()
                throw CommandFailure(error)
            }
        }
    }

    struct Status: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Records per ecosystem, sources, last update, KEV and EPSS versions.")
        @OptionGroup var data: DataDirectoryOptions
        @Flag(help: "Print JSON.") var json = false

        /// What a running server's background update last said (only when the data directory has a
        /// service store).
        func serverUpdate() -> String? {
            guard FileManager.default.fileExists(atPath: data.url.appending(path: "vigil.sqlite").path),
                  let store = try? ServiceStore(dataDirectory: data.url) else { return nil }
            return (try? store.setting(account: "", region: "", name: "advisories.update"))??.value
        }

        func run() async throws {
            let status: AdvisoryDatabase.Status
            do {
                status = try AdvisoryDatabase(dataDirectory: data.url).status()
            } catch {
                if let update = serverUpdate() { print("server update: \(update)") }
                throw CommandFailure(error)
            }
            if !json, let update = serverUpdate() { print("server update: \(update)") }
            if json { return try printJSON(status) }
            print("database: \(status.path)")
            print("advisories: \(status.advisories) (\(status.withdrawn) withdrawn)")
            for (family, n) in status.ecosystems.sorted(by: { $0.key < $1.key }) {
                print("  \(family.padding(toLength: 14, withPad: " ", startingAt: 0)) \(n)")
            }
            print("KEV entries: \(status.kevEntries)")
            print("EPSS scores: \(status.epssScores)")
            print("feeds:")
            for feed in status.feeds {
                var line = "  \(feed.name): \(feed.records) records, updated \(feed.updatedAt) from \(feed.location)"
                if let version = feed.version, !version.isEmpty { line += ", \(version)" }
                if let cursor = feed.cursor { line += ", newest \(cursor)" }
                print(line)
            }
        }
    }

    struct Show: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "One advisory (by id or alias, e.g. a CVE) with its CVSS scores, EPSS and KEV data.")
        @OptionGroup var data: DataDirectoryOptions
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "Advisory id or alias.") var id: String

        func run() async throws {
            let found: [AdvisoryDatabase.Advisory]
            do { found = try AdvisoryDatabase(dataDirectory: data.url).advisories(id: id) } catch { throw CommandFailure(error) }
            guard !found.isEmpty else {
                StandardStreams.error("vigil: no advisory '\(id)'")
                throw ExitCode(1)
            }
            if json { return try printJSON(found.map(AdvisoryView.init)) }
            for (n, advisory) in found.enumerated() {
                if n > 0 { print("") }
                print(AdvisoryView(advisory).text)
            }
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "The advisories affecting a package.")
        @OptionGroup var data: DataDirectoryOptions
        @Flag(help: "Print JSON.") var json = false
        @Argument(help: "OSV ecosystem, optionally with a release (Debian:12).") var ecosystem: String
        @Argument(help: "Package name (normalised as the ecosystem does).") var name: String

        func run() async throws {
            let entries: [AdvisoryDatabase.AffectedEntry]
            do { entries = try AdvisoryDatabase(dataDirectory: data.url).affected(ecosystem: Ecosystem(ecosystem), name: name) } catch { throw CommandFailure(error) }
            if json { return try printJSON(entries.map(AffectedView.init)) }
            if entries.isEmpty { print("no advisories for \(name) in \(ecosystem)") }
            for entry in entries { print(AffectedView(entry).text) }
        }
    }
}

/// Prints a failure's message and exits 1 (2 is reserved for invalid input values).
struct CommandFailure: Error, CustomStringConvertible {
    var description: String
    init(_ error: Error) { description = "\(error)" }
}

func printReport(_ report: ImportReport, json: Bool) throws {
    if json { return try printJSON(report) }
    var parts = ["\(report.records) records stored"]
    if report.unchanged > 0 { parts.append("\(report.unchanged) already current") }
    if let kev = report.kevEntries { parts.append("\(kev) KEV entries") }
    if let epss = report.epssScores { parts.append("\(epss) EPSS scores") }
    parts.append("\(report.malformed.count) malformed skipped")
    print(parts.joined(separator: ", "))
    for problem in report.malformed.prefix(50) { StandardStreams.error("skipped: \(problem)") }
    if report.malformed.count > 50 { StandardStreams.error("... and \(report.malformed.count - 50) more") }
}

func printJSON<T: Encodable>(_ value: T) throws {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
    print(String(decoding: try encoder.encode(value), as: UTF8.self))
}

extension DatabaseCommand {
    struct RequestUpdate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "request-update",
            abstract: "Ask a running vigil serve to update its advisories now, from the feeds it is configured with.",
            discussion: "Returns at once; the update's progress and outcome are in `vigil db status --data-dir` of the server's data directory."
        )
        @OptionGroup var client: ClientOptions

        func run() async throws {
            _ = try await VigilClient.send("POST", "/vigil/v1/advisories/update", body: Data(), endpoint: client.endpoint, credentials: try client.credentials())
            StandardStreams.output(Data("advisory update started on \(client.endpoint)\n".utf8))
        }
    }
}
