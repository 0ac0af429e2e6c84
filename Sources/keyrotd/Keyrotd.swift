import ArgumentParser
import KeyRotation

/// `keyrotd`: rotates the access keys of Azure resources with two keys without breaking their consumers.
/// `main.swift` runs it.
struct Keyrotd: AsyncParsableCommand {
    /// The command tree.
    static let configuration = CommandConfiguration(
        commandName: "keyrotd",
        abstract: "Rotates the access keys of Azure resources with two keys so that consumers never see a dead key.",
        version: KeyrotdVersion.current,
        subcommands: [RunCommand.self, CheckCommand.self, StatusCommand.self, RotateCommand.self, DemoCommand.self]
    )
}

/// The `--config` option every subcommand shares.
struct ConfigOption: ParsableArguments {
    /// The configuration file path.
    @Option(name: [.short, .long], help: "The configuration file.")
    var config = "/etc/keyrotd/keyrotd.toml"
}
