import ArgumentParser
import Foundation
import Glibc
import KeyRotation
import Logging
import SecretFiles
import ServiceLifecycle
import Systemd

/// `keyrotd run`: the daemon.
struct RunCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "run", abstract: "Run the rotation daemon (what the systemd unit starts).")

    @OptionGroup var options: ConfigOption
    @Option(help: "Where logs go: auto (the journal under systemd, else standard error), journal or stderr.")
    var log: String = "auto"

    func validate() throws {
        guard LogSetup.Target(rawValue: log) != nil else { throw ValidationError("--log takes auto, journal or stderr") }
    }

    func run() async throws {
        let notifier = SystemdNotifier()
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

/// The daemon's life: rotators under a scheduler, a reload service and a watchdog, under a service group.
enum Daemon {
    static func run(
        configuration: Configuration, configPath: String, lock: InstanceLock, logger: Logger, notifier: SystemdNotifier = SystemdNotifier()
    ) async throws {
        let clock = SystemWallClock()
        let runtime: DaemonRuntime
        do {
            runtime = try await DaemonRuntime(configuration: configuration, clock: clock, logger: logger) { loaded in
                notifier.extendTimeout(.seconds(10))
                notifier.status("loading state: \(loaded) of \(configuration.resources.count) resources")
            }
        } catch {
            logger.critical("cannot start: \(error)")
            notifier.failed(errno: EIO, status: "cannot start: \(error)")
            throw ExitCode(1)
        }
        let watchdogInterval = Watchdog.interval
        let scheduler = RotationScheduler(
            rotators: await runtime.currentRotators, clock: clock, concurrency: configuration.daemon.concurrency, notifier: notifier,
            logger: logger, maximumSleep: watchdogInterval.map { $0 / 4 }, hangAfter: TestFaults.schedulerHangAfter)
        let reload = await ReloadService(notifier: notifier, logger: logger) {
            let rotators = try await runtime.reload(path: configPath)
            let next = await runtime.configuration
            await scheduler.replace(rotators: rotators, concurrency: next.daemon.concurrency)
            return "configuration reloaded; " + (await scheduler.summary)
        }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let watchdogInterval {
            services.append(.init(service: Watchdog(notifier: notifier, interval: watchdogInterval, logger: logger)))
        }
        services.append(.init(service: reload))
        services.append(.init(service: scheduler))
        let group = ServiceGroup(
            configuration: .init(services: services, gracefulShutdownSignals: [.sigterm, .sigint], logger: logger))
        logger.notice(
            "keyrotd started",
            metadata: [
                "keyrotd_event": "daemon-started", "keyrotd_resources": "\(configuration.resources.count)",
                "keyrotd_config": .string(configuration.sourcePath),
            ])
        notifier.ready(status: "\(configuration.resources.count) resources; starting")
        try await group.run()
        logger.notice("keyrotd stopped", metadata: ["keyrotd_event": "daemon-stopping"])
        await runtime.shutdown()
        withExtendedLifetime(lock) {}
    }
}

/// Fault switches that only tests set, read from the environment.
enum TestFaults {
    /// `KEYROTD_TEST_FAULT_HANG_SCHEDULER_AFTER=SECONDS`: the scheduler loop hangs that long after start.
    static var schedulerHangAfter: Date? {
        guard let text = ProcessInfo.processInfo.environment["KEYROTD_TEST_FAULT_HANG_SCHEDULER_AFTER"], let seconds = Double(text) else {
            return nil
        }
        return Date().addingTimeInterval(seconds)
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
