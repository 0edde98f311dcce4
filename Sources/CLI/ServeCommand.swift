import API
import AdvisoryStore
import ArgumentParser
import Foundation
import Logging
import Service
import Storage

/// `vigil serve`: the inspector2 API on the embedded default (SQLite in the data directory).
struct ServeCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve the inspector2 API (use the AWS CLI or boto3 with --endpoint-url).",
        discussion: """
        The first start creates an admin account and access key and prints them once on standard output \
        (the secret is kept sealed in the data directory, under secret.key). VIGIL_BOOTSTRAP_ACCESS_KEY_ID, \
        VIGIL_BOOTSTRAP_SECRET_ACCESS_KEY and VIGIL_BOOTSTRAP_ACCOUNT_ID set them explicitly. SIGTERM or \
        SIGINT stop the server gracefully. /healthz answers "ok"; /metrics serves Prometheus counters.
        """
    )

    @Option(help: "Address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port to listen on (0: any free port, printed at start).") var port = 8080
    @Option(help: "Scan workers (jobs run at once).") var workers = 2
    @Option(name: .customLong("job-lease"), help: "Seconds before a job whose worker stopped (a crash) is run again.") var jobLease = 120.0
    @Option(name: .customLong("heartbeat-timeout"), help: "Seconds without an agent heartbeat before its host is UNMANAGED_EC2_INSTANCE.")
    var heartbeatTimeout = 1800.0
    @Option(name: .customLong("registry-sync-interval"), help: "Seconds between listings of every registry's repositories and tags (0: only when a registry is added).")
    var registrySyncInterval = 3600.0
    @Option(name: .customLong("db-update-interval"), help: "Hours between advisory updates in the background, the first at once when there is no data (0: never).")
    var dbUpdateInterval = 6.0
    @Option(name: .customLong("osv-base"), help: "OSV bucket or mirror for the background updates.") var osvBase = AdvisoryUpdater.defaultOSVBase?.absoluteString ?? ""
    @Option(name: .customLong("ecosystem"), help: "An ecosystem to keep current (repeatable; default: all the mirror lists).") var ecosystems: [String] = []
    @Option(help: "KEV catalog URL for the background updates.") var kev = AdvisoryUpdater.defaultKEV?.absoluteString ?? ""
    @Option(help: "EPSS scores URL for the background updates.") var epss = AdvisoryUpdater.defaultEPSS?.absoluteString ?? ""
    @OptionGroup var data: DataDirectoryOptions

    func run() async throws {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = ProcessInfo.processInfo.environment["VIGIL_LOG_LEVEL"].flatMap(Logger.Level.init(rawValue:)) ?? .info
            return handler
        }
        let logger = Logger(label: "vigil")
        let store: ServiceStore
        do {
            store = try ServiceStore(dataDirectory: data.url)
            try bootstrap(store)
        } catch {
            StandardStreams.error("vigil: \(error)")
            throw ExitCode(2)
        }
        // Updates on the schedule, and on demand through the API even when the schedule is off.
        guard let base = URL(string: osvBase) else { throw ValidationError("--osv-base \(osvBase) is not a URL") }
        let interval: TimeInterval? = dbUpdateInterval > 0 ? dbUpdateInterval * 3600 : nil
        let updates = (updater: AdvisoryUpdater(osvBase: base, ecosystems: ecosystems.isEmpty ? nil : ecosystems, kev: URL(string: kev), epss: URL(string: epss)),
                       interval: interval)
        let service = ScanService(store: store, dataDirectory: data.url, workers: workers, lease: jobLease, heartbeatTimeout: heartbeatTimeout,
                                  registrySyncInterval: registrySyncInterval > 0 ? registrySyncInterval : nil, updates: updates, logger: logger)
        try await VigilServer.run(host: host, port: port, store: store, service: service, logger: logger) { bound in
            StandardStreams.error("vigil: serving inspector2 on http://\(host):\(bound) (data in \(data.url.path))")
        }
    }

    /// The admin principal: from the environment when given, else created once and printed.
    func bootstrap(_ store: ServiceStore) throws {
        let environment = ProcessInfo.processInfo.environment
        if let key = environment["VIGIL_BOOTSTRAP_ACCESS_KEY_ID"], let secret = environment["VIGIL_BOOTSTRAP_SECRET_ACCESS_KEY"] {
            let account = environment["VIGIL_BOOTSTRAP_ACCOUNT_ID"] ?? "000000000000"
            guard account.count == 12, account.allSatisfy(\.isNumber) else { throw ValidationError("VIGIL_BOOTSTRAP_ACCOUNT_ID must be 12 digits") }
            guard key.count >= 16, secret.count >= 16 else { throw ValidationError("bootstrap access key id and secret must be at least 16 characters") }
            try store.addPrincipal(.init(accessKeyID: key, accountID: account, secret: secret, policy: "full"))
            return
        }
        guard try store.principalCount() == 0 else { return }
        let (key, secret) = ServiceStore.newAccessKey()
        let account = ServiceStore.newAccountID()
        try store.addPrincipal(.init(accessKeyID: key, accountID: account, secret: secret, policy: "full"))
        StandardStreams.output(Data("""
            Created the admin account \(account) and its access key (shown only now):
              AWS_ACCESS_KEY_ID=\(key)
              AWS_SECRET_ACCESS_KEY=\(secret)

            """.utf8))
    }
}
