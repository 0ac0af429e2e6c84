import ArgumentParser
import Control
import DaemonExecutor
import Follower
import FoundationEssentials
import Glibc
import KeyRotation
import Logging
import MetricsFile
import SecretFiles
import ServiceLifecycle
import Systemd

/// The daemon's life: rotators under a scheduler, followers, a reload service and a watchdog, under a service group.
enum Daemon {
    /// Runs the daemon until SIGTERM or SIGINT.
    static func run(
        configuration: Configuration,
        configPath: String,
        lock: InstanceLock,
        logger: Logger,
        notifier: SystemdNotifier = SystemdNotifier(sleep: DaemonExecutor.sleep(for:))
    ) async throws {
        raiseOpenFileLimit()
        let clock = SystemWallClock(sleep: DaemonExecutor.sleep(for:))
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
        let (metricsChanges, metricsChanged) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let scheduler = RotationScheduler(
            rotators: await runtime.currentRotators,
            clock: clock,
            concurrency: configuration.daemon.concurrency,
            notifier: notifier,
            logger: logger,
            maximumSleep: watchdogInterval.map { $0 / 4 },
            hangAfter: TestFaults.schedulerHangAfter,
            // After a burst (start-up adoption, a wave of rotations) glibc keeps the freed heap in its
            // per-thread arenas; give it back so an idle keyrotd stays small.
            onIdle: { _ = malloc_trim(0) },
            onChange: { metricsChanged.yield() }
        )
        let followers = FollowerService(followers: await runtime.currentFollowers) {
            let followers = $0
            notifier.statusLine.update { $0.followers = followers }
            metricsChanged.yield()
        }
        // Always made, so a reload may add the first [[application]]; with none it reads nothing.
        let watch = CredentialWatch(
            applications: await runtime.currentApplications,
            clock: clock,
            interval: configuration.daemon.applicationWatchInterval,
            logger: logger,
            rotateNow: { name in _ = await scheduler.requestRotation(of: [name]) },
            onChange: { metricsChanged.yield() }
        )
        // Trapped before readiness is announced, so an early stop or reload finds them handled.
        let signals = try await SignalPipe.signals([SIGTERM, SIGINT, SIGHUP])
        let (hangups, hangup) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        let reload = ReloadService(
            hangups: hangups,
            notifier: notifier,
            logger: logger,
            reload: {
                let rotators = try await runtime.reload(path: configPath)
                let next = await runtime.configuration
                LogSetup.level.set(next.daemon.logLevel)
                MissingCredentials.report(next, environment: ProcessInfo.processInfo.environment, logger: logger)
                await scheduler.replace(rotators: rotators)
                await followers.replace(await runtime.currentFollowers)
                await watch.replace(await runtime.currentApplications)
                notifier.statusLine.update { $0.note = nil }
                return "configuration reloaded; " + notifier.statusLine.markSent()
            },
            rejected: { reason in
                notifier.statusLine.update { $0.note = reason }
                return notifier.statusLine.markSent()
            }
        )
        var highAvailability: DaemonGroup?
        if let settings = configuration.daemon.highAvailability {
            do {
                highAvailability = try await DaemonGroup.make(settings, runtime: runtime, statusLine: notifier.statusLine, logger: logger)
            } catch {
                logger.critical("cannot join the high-availability group: \(error)")
                notifier.failed(errno: EIO, status: "cannot join the high-availability group: \(error)")
                throw ExitCode(1)
            }
        }
        let coordinator = highAvailability?.coordinator
        if let settings = configuration.daemon.highAvailability, let watchdogInterval, watchdogInterval >= settings.leaseDuration {
            logger.warning(
                "WatchdogSec= (\(DurationFormat.format(watchdogInterval))) is not shorter than the group's lease_duration (\(DurationFormat.format(settings.leaseDuration))): a leader whose renewals stall would outlive its lease before systemd ends it; keep WatchdogSec= plus TimeoutAbortSec= below the lease"
            )
        }
        let following = highAvailability.map { group in
            Task { await group.follow(runtime: runtime, scheduler: scheduler, logger: logger) }
        }
        defer { following?.cancel() }
        var services: [ServiceGroupConfiguration.ServiceConfiguration] = []
        if let coordinator { services.append(.init(service: coordinator)) }
        services.append(.init(service: watch))

        if let watchdogInterval {
            services.append(
                .init(
                    service: Watchdog(
                        notifier: notifier,
                        interval: watchdogInterval,
                        sleep: DaemonExecutor.sleep(for:),
                        logger: logger,
                        renewalsOnTime: { coordinator?.renewalsOnTime() ?? true }
                    )
                )
            )
        }
        services.append(.init(service: reload))
        services.append(
            .init(
                service: ControlServer(
                    path: configuration.daemon.controlSocket,
                    scheduler: scheduler,
                    sleep: DaemonExecutor.sleep(for:),
                    logger: logger,
                    started: { _ in notifier.ready() },
                    followers: { await followers.currentStatuses },
                    group: { await coordinator?.status() },
                    applications: { await watch.current },
                    summary: { notifier.statusLine.text }
                )
            )
        )
        services.append(.init(service: scheduler))
        services.append(.init(service: followers))
        if let path = configuration.daemon.metricsFile {
            services.append(
                .init(
                    service: MetricsFileService(path: path, clock: clock, changes: metricsChanges, logger: logger) {
                        await runtime.metricsSnapshot(
                            scheduler: scheduler,
                            followers: await followers.currentStatuses,
                            group: coordinator,
                            applications: await watch.current
                        )
                    }
                )
            )
        }
        var groupConfiguration = ServiceGroupConfiguration(services: services, logger: logger)
        // ServiceGroup bounds a cancellation with Task.sleep in an unstructured task, which starts
        // Dispatch's timer thread at every stop; systemd's TimeoutStopSec= bounds the stop already.
        groupConfiguration.maximumCancellationDuration = nil
        let group = ServiceGroup(configuration: groupConfiguration)
        let signalling = Task {
            for await signal in signals {
                if signal == SIGHUP { hangup.yield() } else { await group.triggerGracefulShutdown() }
            }
        }
        defer { signalling.cancel() }
        logger.log(
            .daemonStarted,
            "keyrotd started",
            [
                .resources: "\(configuration.resources.count)",
                .followers: "\(configuration.follows.count)",
                .config: .string(configuration.sourcePath),
                .executor: .string(DaemonExecutor.mode(environment: ProcessInfo.processInfo.environment).rawValue),
            ]
        )
        MissingCredentials.report(configuration, environment: ProcessInfo.processInfo.environment, logger: logger)
        try await group.run()
        logger.log(.daemonStopping, "keyrotd stopped")
        if !(await runtime.shutdown(within: .milliseconds(500))) {
            logger.debug("HTTP connections to an unresponsive server were left to the exit")
        }
        withExtendedLifetime(lock) {}
    }
}

/// Raises the soft limit on open files to the hard limit: a wave of rotations keeps up to
/// `concurrency` connections open besides the files it writes, and systemd's default soft limit
/// (1,024, with a hard limit of 524,288) is kept low only for programs that still use `select`.
private func raiseOpenFileLimit() {
    var limit = rlimit()
    let resource = __rlimit_resource_t(RLIMIT_NOFILE.rawValue)
    guard getrlimit(resource, &limit) == 0, limit.rlim_cur < limit.rlim_max else { return }
    limit.rlim_cur = limit.rlim_max
    _ = setrlimit(resource, &limit)
}

extension Daemon {
    /// At most two glibc malloc arenas (glibc's default is eight per core). Each thread of the job
    /// pool that meets contention gets its own arena, and the long-lived objects of thousands of
    /// resources then lie scattered over several heaps whose freed pages stay half used: at 10,000
    /// idle resources the private memory was 19.8 MB with the default, 17.9 MB with two arenas
    /// and 18.0 MB with one (docs/performance.md). Called first thing in `main`, before any thread
    /// allocates: set later (in `run`), the arenas already made stayed and the figure was 19.4 MB.
    static func limitHeapArenas() {
        _ = mallopt(-8, 2)  // M_ARENA_MAX
    }
}

/// glibc's `mallopt` (malloc.h is not part of the Glibc module).
@_silgen_name("mallopt")
private func mallopt(_ parameter: Int32, _ value: Int32) -> Int32

/// glibc's `malloc_trim` (malloc.h is not part of the Glibc module): returns free heap pages to the system.
@_silgen_name("malloc_trim")
private func malloc_trim(_ pad: Int) -> Int32
