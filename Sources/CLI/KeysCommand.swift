import API
import ArgumentParser
import Foundation
import Storage

/// `vigil keys`: access keys for the API (stored in the data directory, secrets sealed).
struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Manage API access keys.",
        subcommands: [Create.self, List.self, Delete.self]
    )

    struct Create: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create an access key for an account, printing the secret once.")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "The 12-digit account the key acts for.") var account: String
        @Option(help: "Built-in policy: full or read-only.") var policy = "full"
        @Option(name: .customLong("policy-file"), help: "An IAM-style JSON policy document instead of a built-in policy.") var policyFile: String?
        @Flag(help: "Print {\"accessKeyId\": …, \"secretAccessKey\": …, \"accountId\": …}.") var json = false

        func validate() throws {
            guard account.count == 12, account.allSatisfy(\.isNumber) else { throw ValidationError("--account must be 12 digits") }
            guard ["full", "read-only"].contains(policy) else { throw ValidationError("--policy must be full or read-only") }
            if let policyFile {
                guard let data = FileManager.default.contents(atPath: policyFile) else { throw ValidationError("\(policyFile): no such file") }
                do {
                    _ = try Policy.parse(data)
                } catch {
                    throw ValidationError("\(policyFile): \(error)")
                }
            }
        }

        func run() throws {
            let store = try ServiceStore(dataDirectory: data.url)
            let (key, secret) = ServiceStore.newAccessKey()
            let document = try policyFile.map { String(decoding: try Data(contentsOf: URL(fileURLWithPath: $0)), as: UTF8.self) } ?? policy
            try store.addPrincipal(.init(accessKeyID: key, accountID: account, secret: secret, policy: document))
            if json {
                let object = ["accessKeyId": key, "secretAccessKey": secret, "accountId": account, "policy": policyFile == nil ? policy : "custom"]
                StandardStreams.output(try JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                StandardStreams.output(Data("AWS_ACCESS_KEY_ID=\(key)\nAWS_SECRET_ACCESS_KEY=\(secret)\n".utf8))
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List access keys (never their secrets).")
        @OptionGroup var data: DataDirectoryOptions
        @Option(help: "Only this account's keys.") var account: String?
        @Flag(help: "Print a JSON array.") var json = false

        func run() throws {
            let keys = try ServiceStore(dataDirectory: data.url).keys(account: account)
            if json {
                let list = keys.map { ["accessKeyId": $0.accessKeyID, "accountId": $0.accountID, "policy": $0.policy, "createdAt": $0.createdAt] }
                StandardStreams.output(try JSONSerialization.data(withJSONObject: list, options: [.sortedKeys]) + Data("\n".utf8))
            } else {
                StandardStreams.output(Data(keys.map { "\($0.accessKeyID)  \($0.accountID)  \($0.policy)  \($0.createdAt)\n" }.joined().utf8))
            }
        }
    }

    struct Delete: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Delete an access key; a running server refuses it within 30 seconds.")
        @OptionGroup var data: DataDirectoryOptions
        @Argument(help: "The access key id.") var accessKeyID: String

        func run() throws {
            guard try ServiceStore(dataDirectory: data.url).deleteKey(accessKeyID) else {
                throw ValidationError("no access key \(accessKeyID) in \(data.url.path)")
            }
            StandardStreams.output(Data("deleted \(accessKeyID)\n".utf8))
        }
    }
}
