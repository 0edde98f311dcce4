import ArgumentParser
import Foundation
import Storage

/// `vigil keys`: access keys for the API (stored in the data directory, secrets sealed).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API access keys.",
        subcommands: [Create.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an access key for an account, printing the secret once.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "The 12-digit account the key acts for.") var account: String
        @Option(help: "Built-in policy: full or read-only.") var policy = "full"
        @Flag(help: "Print {\"accessKeyId\": …, \"secretAccessKey\": …, \"accountId\": …}.") var json = false

        func validate() throws {
            guard account.count == 12, account.allSatisfy(\.isNumber) else { throw ValidationError("--account must be 12 digits") }
            guard ["full", "read-only"].contains(policy) else { throw ValidationError("--policy must be full or read-only") }
        }

        func run() throws {
            let store = try ServiceStore(dataDirectory: data.url)
            let (key, secret) = ServiceStore.newAccessKey()
            try store.addPrincipal(.init(accessKeyID: key, accountID: account, secret: secret, policy: policy))
            if json {
                let object = ["accessKeyId": key, "secretAccessKey": secret, "accountId": account, "policy": policy]
                StandardStreams.output(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                StandardStreams.output(Data("AWS_ACCESS_KEY_ID=\(key)\nAWS_SECRET_ACCESS_KEY=\(secret)\n".utf8))
            }
        }
    }
}
