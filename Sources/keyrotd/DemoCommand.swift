import ArgumentParser
import AzureClient
import AzureEmulator
import DaemonExecutor
import FoundationEssentials
import KeyRotation
import Logging
import SecretFiles

/// `keyrotd demo`: the whole loop on this machine with no Azure account. Starts the built-in
/// emulator, writes a configuration with short intervals, runs the daemon, and shows each secret
/// file change together with a consumer check against the emulator's data plane.
struct DemoCommand: AsyncParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(commandName: "demo", abstract: "Watch keys rotate against the built-in Azure emulator.")

    @Option(help: "Working folder for the configuration, secrets and state.") var directory = "keyrotd-demo"
    @Option(help: "Number of emulated ACS resources.") var resources = 3
    @Option(help: "Rotation period.") var every = "20s"
    @Option(help: "Grace between publishing a key and regenerating the other.") var grace = "5s"
    @Option(help: "Stop after this many seconds (0: run until Ctrl-C).") var duration = 0

    /// Runs the emulator, the daemon and the watcher until the duration ends or Ctrl-C.
    func run() async throws {
        let directory = self.directory.hasPrefix("/") ? self.directory : FileManager.default.currentDirectoryPath + "/" + self.directory
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        var emulatorConfiguration = EmulatorConfiguration()
        emulatorConfiguration.resources = resources
        emulatorConfiguration.caFile = directory + "/emulator-ca.pem"
        let emulator = try await Emulator.start(emulatorConfiguration)
        let secretFile = directory + "/emulator-client-secret"
        _ = FileManager.default.createFile(
            atPath: secretFile,
            contents: Data((emulator.info.clientSecret + "\n").utf8),
            attributes: [.posixPermissions: 0o600]
        )
        let configPath = directory + "/keyrotd.toml"
        try emulator.info.keyrotdConfiguration(secretFile: secretFile, directory: directory, every: every, grace: grace)
            .write(toFile: configPath, atomically: true, encoding: .utf8)
        let configuration = try loadConfiguration(configPath)

        Terminal.out(
            """
            keyrotd demo
              emulator:      \(emulator.info.baseURL) (Azure Resource Manager, Entra ID and the ACS data plane)
              configuration: \(configPath)
              secrets:       \(configuration.daemon.secretsDirectory)
              every \(every), grace \(grace), strategy full: watch each file move primary -> secondary -> primary.
              Each change is checked by a consumer that authenticates with the file's key. Ctrl-C stops.

            """
        )
        LogSetup.bootstrap(level: "warning")
        let logger = Logger(label: "keyrotd")
        let lock = try InstanceLock(stateDirectory: configuration.daemon.stateDirectory)
        let watcher = SecretWatcher(configuration: configuration, caFile: emulator.info.caFile)
        let limit = duration
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { try await Daemon.run(configuration: configuration, configPath: configPath, lock: lock, logger: logger) }
            group.addTask { await watcher.run() }
            if limit > 0 {
                group.addTask {
                    try await DaemonExecutor.sleep(for: .seconds(limit))
                    throw CancellationError()
                }
            }
            do {
                try await group.next()
            } catch is CancellationError {}
            group.cancelAll()
        }
        await watcher.shutdown()
        try await emulator.shutdown()
        Terminal.out("\ndemo stopped; \(await watcher.changes) secret file changes seen. Files are in \(configuration.daemon.secretsDirectory)")
    }
}
