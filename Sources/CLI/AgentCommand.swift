import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Inventory
import Service

/// `vigil agent`: enrols this host with an activation, then reports its inventory (OS packages plus
/// language packages under the deep-inspection paths) at start, every 6 hours and whenever a package
/// database changes, and sends a heartbeat every minute.
struct AgentCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "agent",
        abstract: "Report this host's inventory to a Vigil server (an AWS_EC2_INSTANCE resource).",
        discussion: """
        The first run enrols with --activation-id and --activation-code (from `vigil activations create`) and \
        keeps the host's identity and credentials in --state-dir (identity.json, mode 0600); later runs reuse it.
        """
    )

    @Option(help: "The Vigil server.") var server: String
    @Option(name: .customLong("activation-id")) var activationID: String?
    @Option(name: .customLong("activation-code")) var activationCode: String?
    @Option(name: .customLong("state-dir"), help: "Where the agent keeps its identity.") var stateDir = "/var/lib/vigil-agent"
    @Option(name: .customLong("deep-inspection-path"), help: "Another directory to look for language packages in (repeatable).")
    var deepInspectionPaths: [String] = []
    @Option(help: "Root of the filesystem to inventory.") var root = "/"
    @Flag(help: "Report once and exit.") var once = false
    @Option(help: "Seconds between heartbeats (and package database checks).") var heartbeat = 60.0

    static let databases = ["var/lib/dpkg/status", "lib/apk/db/installed", "var/lib/rpm/rpmdb.sqlite", "var/lib/rpm/Packages", "usr/lib/sysimage/rpm/rpmdb.sqlite"]

    func run() async throws {
        let identity = try await enrolment()
        let credentials = (key: identity.accessKeyId, secret: identity.secretAccessKey, region: identity.region)
        var lastReport = Date.distantPast
        var lastStamp = ""
        while true {
            let stamp = databaseStamp()
            if stamp != lastStamp || Date().timeIntervalSince(lastReport) >= 6 * 3600 {
                try await report(identity.instanceId, credentials: credentials)
                lastReport = Date()
                lastStamp = stamp
                StandardStreams.error("vigil agent: reported \(identity.instanceId) to \(server)")
            }
            if once { return }
            try await Task.sleep(for: .seconds(heartbeat))
            do {
                _ = try await VigilClient.send("POST", "/vigil/v1/agents/\(identity.instanceId)/heartbeat", body: Data("{}".utf8),
                                               endpoint: server, credentials: credentials)
            } catch {
                StandardStreams.error("vigil agent: heartbeat failed: \(error)")
            }
        }
    }

    /// The stored identity, or a new one from the activation.
    func enrolment() async throws -> ScanService.Enrollment {
        let file = URL(fileURLWithPath: stateDir).appending(path: "identity.json")
        if let data = FileManager.default.contents(atPath: file.path) {
            do { return try JSONDecoder().decode(ScanService.Enrollment.self, from: data) } catch {
                throw ValidationError("\(file.path) is not an agent identity: \(error)")
            }
        }
        guard let activationID, let activationCode else {
            throw ValidationError("not enrolled yet (\(file.path) does not exist): give --activation-id and --activation-code")
        }
        let body = try JSONSerialization.data(withJSONObject: ["activationId": activationID, "activationCode": activationCode])
        let answer = try await VigilClient.send("POST", "/vigil/v1/agents/enroll", body: body, endpoint: server, credentials: nil)
        let identity = try JSONDecoder().decode(ScanService.Enrollment.self, from: answer)
        try FileManager.default.createDirectory(atPath: stateDir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        guard FileManager.default.createFile(atPath: file.path, contents: answer, attributes: [.posixPermissions: 0o600]) else {
            throw ValidationError("cannot write \(file.path)")
        }
        return identity
    }

    /// Modification times of the package databases: a change means packages were installed or removed.
    func databaseStamp() -> String {
        Self.databases.map { path in
            var info = stat()
            return stat(root + "/" + path, &info) == 0 ? "\(info.st_mtim.tv_sec).\(info.st_mtim.tv_nsec)" : "-"
        }.joined(separator: ",")
    }

    func report(_ instance: String, credentials: (key: String, secret: String, region: String)) async throws {
        let inventory = Cataloging.inventory(of: try DirectoryFileSystem(root: root), scope: .host(extraPaths: deepInspectionPaths))
        let (v4, v6) = Self.addresses()
        let report = ScanService.HostReport(inventory: inventory, hostname: ProcessInfo.processInfo.hostName,
                                            ipV4Addresses: v4, ipV6Addresses: v6, platform: nil, tags: nil)
        _ = try await VigilClient.send("POST", "/vigil/v1/agents/\(instance)/inventory", body: try JSONEncoder().encode(report),
                                       endpoint: server, credentials: credentials)
    }

    /// This host's non-loopback addresses.
    static func addresses() -> ([String], [String]) {
        var v4: [String] = [], v6: [String] = []
        var list: UnsafeMutablePointer<ifaddrs>?
        guard getifaddrs(&list) == 0, let first = list else { return ([], []) }
        defer { freeifaddrs(list) }
        var cursor: UnsafeMutablePointer<ifaddrs>? = first
        while let entry = cursor {
            defer { cursor = entry.pointee.ifa_next }
            guard let address = entry.pointee.ifa_addr, entry.pointee.ifa_flags & UInt32(IFF_LOOPBACK) == 0 else { continue }
            let family = Int32(address.pointee.sa_family)
            guard family == AF_INET || family == AF_INET6 else { continue }
            var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
            let length = socklen_t(family == AF_INET ? MemoryLayout<sockaddr_in>.size : MemoryLayout<sockaddr_in6>.size)
            guard getnameinfo(address, length, &host, socklen_t(host.count), nil, 0, NI_NUMERICHOST) == 0 else { continue }
            let text = String(cString: host)
            if family == AF_INET { v4.append(text) } else { v6.append(text) }
        }
        return (v4, v6)
    }
}
