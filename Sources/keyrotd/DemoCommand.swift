import ArgumentParser
import AzureClient
import DaemonExecutor
import FoundationEssentials
import Glibc
import KeyRotation
import Logging
import SecretFiles
import Subprocess
import SystemPackage

/// `keyrotd demo`: the whole loop on this machine with no Azure account. Starts `keyrotd-emulator`
/// (the executable installed beside `keyrotd`, which does not link the emulator itself), which writes
/// a configuration with short intervals; runs the daemon on it, and shows each secret file change
/// together with a consumer check against the emulator's data plane.
struct DemoCommand: AsyncParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Watch keys rotate against the Azure emulator (keyrotd-emulator, installed beside keyrotd)."
    )

    @Option(help: "Working folder for the configuration, secrets and state.") var directory = "keyrotd-demo"
    @Option(help: "Emulated resource types (comma-separated, or all).") var types = "communication,storage,servicebus,cosmosdb"
    @Option(help: "Number of emulated resources of each type.") var resources = 1
    @Option(help: "Rotation period.") var every = "20s"
    @Option(help: "Grace between publishing a key and regenerating the other.") var grace = "5s"
    @Option(help: "Stop after this many seconds (0: run until Ctrl-C).") var duration = 0

    /// What the demo reads of the emulator's start line.
    private struct EmulatorStart: Decodable {
        var baseURL: String
        var caFile: String?
    }

    /// Runs the emulator, the daemon and the watcher until the duration ends or Ctrl-C.
    func run() async throws {
        let directory = self.directory.hasPrefix("/") ? self.directory : FileManager.default.currentDirectoryPath + "/" + self.directory
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let configPath = directory + "/keyrotd.toml"
        let emulator = try Self.emulatorExecutable()
        let arguments = [
            "--port", "0", "--types", types, "--resources", String(resources), "--ca-file", directory + "/emulator-ca.pem", "--write-config",
            configPath,
            "--config-format", "json",
            "--every", every, "--grace", grace,
        ]
        _ = try await Subprocess.run(.path(emulator), arguments: Arguments(arguments), input: .none, output: .sequence, error: .discarded) {
            execution in
            defer { try? execution.send(signal: .terminate) }
            let start = try await Self.startLine(of: execution.standardOutput)
            try await demo(directory: directory, configPath: configPath, emulator: start)
        }
    }

    private func demo(directory: String, configPath: String, emulator: EmulatorStart) async throws {
        let configuration = try loadConfiguration(configPath)
        Terminal.out(
            """
            keyrotd demo
              emulator:      \(emulator.baseURL) (Azure Resource Manager, Entra ID and each type's data plane)
              configuration: \(configPath)
              secrets:       \(configuration.daemon.secretsDirectory)
              every \(every), grace \(grace), strategy full: watch each file move primary -> secondary -> primary.
              Each change is checked by a consumer that authenticates with the file's key. Ctrl-C stops.

            """
        )
        LogSetup.bootstrap(level: .warning)
        let logger = Logger(label: "keyrotd")
        let lock = try InstanceLock(stateDirectory: configuration.daemon.stateDirectory)
        let watcher = SecretWatcher(configuration: configuration, caFile: emulator.caFile)
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
        Terminal.out("\ndemo stopped; \(await watcher.changes) secret file changes seen. Files are in \(configuration.daemon.secretsDirectory)")
    }

    /// The emulator's one JSON line, read as it starts (it never holds a key of a resource).
    private static func startLine(of output: SubprocessOutputSequence) async throws -> EmulatorStart {
        var line: [UInt8] = []
        for try await buffer in output {
            buffer.withUnsafeBytes { line.append(contentsOf: $0) }
            if let end = line.firstIndex(of: UInt8(ascii: "\n")) {
                return try JSONDecoder().decode(EmulatorStart.self, from: Data(line[..<end]))
            }
            guard line.count < 1 << 20 else { break }
        }
        throw ValidationError("keyrotd-emulator ended without printing its start line")
    }

    /// `keyrotd-emulator` in the folder of the running `keyrotd` (where `swift build` and `make
    /// install` put it).
    static func emulatorExecutable() throws -> FilePath {
        let own = FilePath((try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0])
        let emulator = own.removingLastComponent().appending("keyrotd-emulator")
        guard access(emulator.string, X_OK) == 0 else {
            throw ValidationError(
                "keyrotd demo runs \(emulator), which is missing: build it with `swift build --product keyrotd-emulator` (or `make demo`)"
            )
        }
        return emulator
    }
}
