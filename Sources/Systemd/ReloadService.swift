import Logging
import ServiceLifecycle

/// Reloads the configuration on SIGHUP (what `ExecReload=` sends), bracketed by `RELOADING=1` and
/// `READY=1` so `systemctl reload` waits for it. The `reload` closure validates everything before
/// applying anything; when it throws, the running configuration stays and the reason goes to the
/// journal and to `STATUS=`.
public struct ReloadService: Service {
    private let notifier: SystemdNotifier
    private let logger: Logger
    private let reload: @Sendable () async throws -> String
    private let rejected: @Sendable (String) async -> String
    private let hangups: AsyncStream<Void>

    /// Creates the service.
    ///
    /// - Parameters:
    ///   - hangups: one element per SIGHUP. Trap SIGHUP before announcing readiness, so an early
    ///     `systemctl reload` cannot kill the daemon.
    ///   - reload: applies a new configuration and returns the status line to show.
    ///   - rejected: told why a configuration was refused; returns the status line to show.
    public init(
        hangups: AsyncStream<Void>,
        notifier: SystemdNotifier,
        logger: Logger,
        reload: @escaping @Sendable () async throws -> String,
        rejected: @escaping @Sendable (String) async -> String
    ) {
        self.notifier = notifier
        self.logger = logger
        self.reload = reload
        self.rejected = rejected
        self.hangups = hangups
    }

    public func run() async throws {
        for await _ in hangups.cancelOnGracefulShutdown() {
            notifier.reloading()
            do {
                let status = try await reload()
                logger.log(.configReloaded, "configuration reloaded")
                notifier.ready(status: status)
            } catch {
                logger.log(.configRejected, "configuration rejected; the running configuration stays in force: \(error)")
                notifier.ready(status: await rejected("reload rejected, previous configuration kept: \(String(describing: error).prefix(200))"))
            }
        }
    }
}
