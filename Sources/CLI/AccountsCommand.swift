import ArgumentParser
import Foundation
import Storage

/// `vigil accounts`: the accounts of the service (an account exists while it has access keys).
struct AccountsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "accounts",
        abstract: "Create and list accounts.",
        subcommands: [Create.self, List.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an account with a fresh 12-digit id and an access key for it, printing the secret once.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "The account id (default: a fresh random 12-digit id).") var account: String?
        @Option(help: "Built-in policy of the first key: full or read-only.") var policy = "full"
        @Flag(help: "Print {\"accountId\": …, \"accessKeyId\": …, \"secretAccessKey\": …}.") var json = false

        func validate() throws {
            if let account, account.count != 12 || !account.allSatisfy(\.isNumber) { throw ValidationError("--account must be 12 digits") }
            guard ["full", "read-only"].contains(policy) else { throw ValidationError("--policy must be full or read-only") }
        }

        func run() throws {
            let store = try ServiceStore(dataDirectory: data.url)
            let existing = Set(try store.accounts())
            if let account, existing.contains(account) { throw ValidationError("account \(account) already exists; add keys with `vigil keys create`") }
            var id = account ?? ServiceStore.newAccountID()
            while account == nil && existing.contains(id) { id = ServiceStore.newAccountID() }
            let (key, secret) = ServiceStore.newAccessKey()
            try store.addPrincipal(.init(accessKeyID: key, accountID: id, secret: secret, policy: policy))
            if json {
                let object = ["accountId": id, "accessKeyId": key, "secretAccessKey": secret, "policy": policy]
                StandardStreams.output(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                StandardStreams.output(Data("account \(id)\nAWS_ACCESS_KEY_ID=\(key)\nAWS_SECRET_ACCESS_KEY=\(secret)\n".utf8))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List accounts with how many access keys each has.")
        @OptionGroup var data: DataDirectoryOptions
        @Flag(help: "Print a JSON array.") var json = false

        func run() throws {
            let store = try ServiceStore(dataDirectory: data.url)
            var counts: [String: Int] = [:]
            for key in try store.keys() { counts[key.accountID, default: 0] += 1 }
            let accounts = counts.keys.sorted()
            if json {
                let list = accounts.map { ["accountId": $0, "accessKeys": counts[$0]!] as [String: Any] }
                StandardStreams.output(try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                StandardStreams.output(Data(accounts.map { "\($0)  \(counts[$0]!) key(s)\n" }.joined().utf8))
            }
        }
    }
}
