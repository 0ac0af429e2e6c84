import AzureEmulator
import ConfigurationFile
import Foundation
import Glibc
import KeyRotation
import SecretFiles
import Synchronization
import Testing

/// One end-to-end scenario: an emulator process, a configuration for it, daemons started on it, a
/// consumer, and the leak scan at the end.
final class Scenario: Sendable {
    let directory: String
    let emulator: EmulatorProcess
    let configPath: String
    let configuration: Configuration
    let consumer: Consumer
    private let children = Mutex<[ChildProcess]>([])

    /// - Parameter configured: how many of the emulator's resources the configuration names (all by default).
    init(
        _ name: String,
        emulatorArguments: [String],
        resources: Int,
        every: String,
        grace: String,
        requestTimeout: String = "30s",
        configured: Int? = nil,
        strategy: String = "full",
        defaults: String = ""
    ) async throws {
        directory = try testDirectory(name)
        let emulator = try await EmulatorProcess.start(["--resources", String(resources)] + emulatorArguments, directory: directory)
        self.emulator = emulator
        // A scenario that cannot be set up leaves no emulator behind (deinit runs only once init succeeded).
        do {
            // Against an emulator without throttling keyrotd need not pace itself at ARM's rate.
            configPath = try emulator.writeConfiguration(
                every: every,
                grace: grace,
                strategy: strategy,
                resources: configured,
                requestTimeout: requestTimeout,
                armWritesPerSecond: emulatorArguments.contains("--no-throttle") ? 1000 : nil
            )
            if !defaults.isEmpty {
                let text = try String(contentsOfFile: configPath, encoding: .utf8)
                try text.replacingOccurrences(of: "[defaults]\n", with: "[defaults]\n\(defaults)\n").write(
                    toFile: configPath,
                    atomically: true,
                    encoding: .utf8
                )
            }
            configuration = try ConfigurationLoader().load(path: configPath).0
        } catch {
            kill(emulator.child.pid, SIGKILL)
            throw error
        }
        let loaded = configuration
        let files = loaded.resources.map { Consumer.File(path: loaded.daemon.secretsDirectory + "/" + $0.output, id: $0.id) }
        consumer = Consumer(files: files, caFile: emulator.info.caFile, grace: configuration.resources.first?.grace ?? .zero)
    }

    /// Starts `keyrotd run` on the scenario's configuration (or on `config`, another host's).
    func startDaemon(label: String = "daemon", config: String? = nil, environment: [String: String] = [:]) throws -> ChildProcess {
        let child = try ChildProcess(
            Binaries.keyrotd,
            ["run", "--config", config ?? configPath],
            directory: directory,
            label: label,
            environment: environment
        )
        children.withLock { $0.append(child) }
        return child
    }

    /// A failed test leaves nothing running: every process the scenario started is killed with it.
    deinit {
        for child in children.withLock({ $0 }) + [emulator.child] where child.isRunning {
            kill(child.pid, SIGKILL)
        }
    }

    /// Runs `keyrotd run` with the consumer checking every file until `rotations` rotations are
    /// recorded, then stops the daemon (SIGTERM; it must exit 0) and the consumer. Returns the stopped
    /// daemon, for its log.
    func runWithConsumer(until rotations: Int, within timeout: Duration) async throws -> ChildProcess {
        let consumerTask = Task { await consumer.run() }
        defer { consumerTask.cancel() }
        let daemon = try startDaemon()
        try await wait(for: timeout, "\(rotations) rotations") { totalRotations() >= rotations }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.stderr.suffix(2000))")
        await consumer.stop()
        return daemon
    }

    /// Runs a keyrotd subcommand to completion (on the scenario's configuration, or on `config`).
    func keyrotd(_ arguments: [String], label: String, config: String? = nil) async throws -> (Int32, String, String) {
        try await ChildProcess.run(Binaries.keyrotd, arguments + ["--config", config ?? configPath], directory: directory, label: label)
    }

    /// Every resource's state record.
    func records() throws -> [String: ResourceState] {
        let store = try JSONStateStore(stateDirectory: configuration.daemon.stateDirectory)
        var out: [String: ResourceState] = [:]
        for resource in configuration.resources { out[resource.name] = try store.load(resource.name) }
        return out
    }

    func totalRotations() -> Int {
        ((try? records()) ?? [:]).values.map(\.rotations).reduce(0, +)
    }

    /// Polls until `condition` holds, throws a ``TestFailure`` or `timeout` passes; a timeout's error carries what `progress`
    /// says about where things stood, so that a failure in CI can be read without a rerun. It runs
    /// on the caller's actor, so the condition may read the caller's state.
    func wait(
        for timeout: Duration,
        _ what: String,
        _ condition: () async throws -> Bool,
        progress: () -> String = { "" },
        isolation: isolated (any Actor)? = #isolation
    ) async throws {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            // A passing failure (a record read mid-write) is asked again; a TestFailure ends the wait.
            do {
                if try await condition() { return }
            } catch let failure as TestFailure {
                throw failure
            } catch {}
            try await Task.sleep(for: .milliseconds(100))
        }
        let state = progress()
        throw TestFailure("timed out after \(timeout) waiting for \(what)" + (state.isEmpty ? "" : ": \(state)"))
    }

    /// Stops the emulator and asserts that no secret the scenario knows appears in any output, log or
    /// state file (the secret files themselves, keyrotd's own credentials directory and the emulator's own info line excepted).
    func finish(extraSecrets: Set<String> = [], excluding extraExcluded: Set<String> = []) async throws {
        await consumer.close()
        await emulator.stop()
        var secrets = await consumer.seenSecrets.union(extraSecrets)
        secrets.insert(emulator.info.clientSecret)
        secrets.insert(emulator.info.readerClientSecret)
        let leaks = LeakScan.leaks(
            in: directory,
            secrets: secrets,
            excluding: Set([
                configuration.daemon.secretsDirectory, configuration.daemon.credentialsDirectory, emulator.child.stdoutPath,
                directory + "/client-secret",
            ]).union(extraExcluded)
        )
        #expect(leaks.isEmpty, "\(leaks)")
    }
}
