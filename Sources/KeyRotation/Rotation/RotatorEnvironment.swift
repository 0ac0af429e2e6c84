import Logging

/// What the rotators of every resource share: the state store, the clock and the daemon's logger.
/// One object held by reference, not three existentials copied into each of 10,000 rotators.
public final class RotatorEnvironment: Sendable {
    /// Where each resource's record is persisted before every action.
    public let store: any StateStore
    /// The wall clock.
    public let clock: any WallClock
    /// The daemon's logger; a resource's entries carry its name as a field.
    public let logger: Logger

    /// Creates the environment.
    public init(store: any StateStore, clock: any WallClock, logger: Logger) {
        self.store = store
        self.clock = clock
        self.logger = logger
    }
}
