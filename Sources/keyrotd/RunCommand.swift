import ArgumentParser
import DaemonExecutor
import FoundationEssentials
import Glibc
import KeyRotation
import Logging
import SecretFiles
import ServiceLifecycle
import Systemd

/// `keyrotd run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the rotation daemon (what the systemd unit starts).")

    @OptionGroup var options: ConfigOption
    @Option(help: "Where logs go: auto (the journal under systemd, else standard error), journal or stderr.")
    var log: String = "auto"

    /// Checks `--log`.
    func validate() throws {
        guard LogSetup.Target(rawValue: log) != nil else { throw ValidationError("--log takes auto, journal or stderr") }
    }

    /// Loads the configuration, takes the lock and runs the daemon.
    func run() async throws {
        let notifier = SystemdNotifier(sleep: DaemonExecutor.sleep(for:))
        let configuration: Configuration
        do {
            configuration = try loadConfiguration(options.config)
        } catch {
            notifier.failed(errno: EINVAL, status: "configuration rejected; run keyrotd check")
            throw error
        }
        LogSetup.bootstrap(level: configuration.daemon.logLevel, target: LogSetup.Target(rawValue: log) ?? .auto)
        let logger = Logger(label: "keyrotd")
        let lock: InstanceLock
        do {
            lock = try InstanceLock(stateDirectory: configuration.daemon.stateDirectory)
        } catch {
            logger.critical("cannot start: \(error)")
            notifier.failed(errno: EBUSY, status: "cannot start: \(error)")
            throw ExitCode(1)
        }
        try await Daemon.run(configuration: configuration, configPath: options.config, lock: lock, logger: logger, notifier: notifier)
    }
}
