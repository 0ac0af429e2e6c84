/// Tells the service manager about the daemon's life (systemd's sd_notify in production).
public protocol DaemonNotifier: Sendable {
    /// The daemon has loaded its configuration and state and is serving.
    func ready(status: String)
    /// A new one-line status summary (never holding a secret).
    func status(_ text: String)
    /// The scheduler loop made progress (a watchdog may ping).
    func heartbeat()
    /// The daemon is shutting down.
    func stopping()
}

/// A notifier that tells nobody, for runs outside a service manager.
public struct SilentNotifier: DaemonNotifier {
    /// Creates the notifier.
    public init() {}
    public func ready(status: String) {}
    public func status(_ text: String) {}
    public func heartbeat() {}
    public func stopping() {}
}
