import ArgumentParser

/// The `vigil` command: a self-hosted vulnerability management service speaking the Amazon
/// Inspector (inspector2) API, and its tools.
public struct VigilCommand: AsyncParsableCommand {
    public static let configuration = CommandConfiguration(
        commandName: "vigil",
        abstract: "Self-hosted vulnerability management that speaks the Amazon Inspector API.",
        subcommands: [ServeCommand.self, AccountsCommand.self, KeysCommand.self, ActivationsCommand.self, AgentCommand.self, HostsCommand.self, FunctionsCommand.self, RegistriesCommand.self, ScanCommand.self, SBOMCommand.self, DatabaseCommand.self, VersionsCommand.self, CVSSCommand.self, BenchCommand.self]
    )

    public init() {}
}
