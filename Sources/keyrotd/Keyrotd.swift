import ArgumentParser

/// `keyrotd`: rotates Azure Communication Services access keys without breaking their consumers.
@main
struct Keyrotd: AsyncParsableCommand {
    /// The command tree.
    static let configuration = CommandConfiguration(
        commandName: "keyrotd",
        abstract: "Rotates Azure Communication Services access keys so that consumers never see a dead key.",
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self, RotateCommand.self, DemoCommand.self]
    )
}

/// The `--config` option every subcommand shares.
struct ConfigOption: ParsableArguments {
    /// The configuration file path.
    @Option(name: [.short, .long], help: "The configuration file.")
    var config = "/etc/keyrotd/keyrotd.toml"
}
