/// Tells the service manager about the daemon's life (systemd's sd_notify in production). What the
/// one-line status says, and how often it is sent, is the notifier's: the scheduler reports facts.
public protocol DaemonNotifier: Sendable {
    /// The resources' summary changed (a step finished, a reload replaced the set).
    func resourcesChanged(_ summary: ResourceSummary)
    /// The scheduler loop made progress (a watchdog may ping).
    func heartbeat()
    /// The daemon is shutting down.
    func stopping()
}

/// A notifier that tells nobody, for runs outside a service manager.
public struct SilentNotifier: DaemonNotifier {
    /// Creates the notifier.
    public init() {}
    public func resourcesChanged(_ summary: ResourceSummary) {}
    public func heartbeat() {}
    public func stopping() {}
}
