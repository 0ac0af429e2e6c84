internal import CSystemd
import Logging
import ServiceLifecycle

/// Pings systemd's watchdog at half of `WATCHDOG_USEC`, but only while the scheduler's
/// ``ProgressBeacon`` is fresh and, in a high-availability group, the leader's lease renewals are
/// on time: a hung scheduler, or a leader whose coordinator no longer runs, stops the pings and
/// systemd kills the daemon, instead of a timer keeping a dead daemon alive.
public struct Watchdog: Service {
    /// The watchdog period systemd asked for, or `nil` when the unit has no `WatchdogSec=`.
    public static var interval: Duration? {
        var usec: UInt64 = 0
        guard sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec))
    }

    private let notifier: SystemdNotifier
    private let interval: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger
    private let renewalsOnTime: @Sendable () -> Bool

    /// Creates the watchdog service for `interval`; `sleep` is the daemon's timer, and
    /// `renewalsOnTime` says (without waiting) whether a leader's renewals are on time.
    public init(
        notifier: SystemdNotifier,
        interval: Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        logger: Logger,
        renewalsOnTime: @escaping @Sendable () -> Bool = { true }
    ) {
        self.renewalsOnTime = renewalsOnTime
        self.notifier = notifier
        self.interval = interval
        self.sleep = sleep
        self.logger = logger
    }

    public func run() async throws {
        var warned = false
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let progressing = notifier.beacon.age < interval
            let onTime = renewalsOnTime()
            if progressing && onTime {
                notifier.watchdogPing()
                warned = false
            } else if !warned {
                warned = true
                let why =
                    progressing
                    ? "this node leads its group but its lease renewals are overdue and it has not stepped down"
                    : "the scheduler has made no progress for \(notifier.beacon.age)"
                logger.log(.watchdogStalled, "\(why); withholding watchdog pings so systemd restarts keyrotd")
            }
            _ = try? await cancelWhenGracefulShutdown { try await sleep(interval / 2) }
        }
    }
}
