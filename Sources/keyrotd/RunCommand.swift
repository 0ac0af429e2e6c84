import ArgumentParser
import Foundation
import KeyRotation
import Logging
import SecretFiles
import ServiceLifecycle

/// `keyrotd run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the rotation daemon (what the systemd unit starts).")

    @OptionGroup var options: ConfigOption

    func run() async throws {
        let configuration = try loadConfiguration(options.config)
        LogSetup.bootstrap(level: configuration.daemon.logLevel)
        let logger = Logger(label: "keyrotd")
        let lock: InstanceLock
        do {
            lock = try InstanceLock(stateDirectory: configuration.daemon.stateDirectory)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        try await Daemon.run(configuration: configuration, lock: lock, logger: logger)
    }
}

/// The daemon's life: rotators under a scheduler under a service group.
enum Daemon {
    static func run(configuration: Configuration, lock: InstanceLock, logger: Logger, notifier: any DaemonNotifier = SilentNotifier()) async throws {
        let clock = SystemWallClock()
        let runtime: DaemonRuntime
        do {
            runtime = try DaemonRuntime(configuration: configuration, clock: clock, logger: logger)
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        let scheduler = RotationScheduler(
            rotators: runtime.rotators,
            clock: clock,
            concurrency: configuration.daemon.concurrency,
            notifier: notifier,
            logger: logger
        )
        logger.notice(
            "keyrotd started",
            metadata: ["keyrotd_resources": "\(runtime.rotators.count)", "keyrotd_config": .string(configuration.sourcePath)]
        )
        let group = ServiceGroup(
            configuration: .init(
                services: [.init(service: scheduler)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: logger
            )
        )
        notifier.ready(status: "\(runtime.rotators.count) resources")
        try await group.run()
        await runtime.shutdown()
        withExtendedLifetime(lock) {}
        logger.notice("keyrotd stopped")
    }
}

/// Loads the configuration or prints every problem and exits 1.
func loadConfiguration(_ path: String) throws -> Configuration {
    do {
        let (configuration, warnings) = try ConfigurationLoader().load(path: path)
        for warning in warnings { Terminal.error(warning.description) }
        return configuration
    } catch {
        for issue in error.issues { Terminal.error(issue.description) }
        throw ExitCode(1)
    }
}
