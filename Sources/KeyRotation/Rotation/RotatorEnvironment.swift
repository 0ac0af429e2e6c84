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
    /// In a high-availability group, what permits each action that changes Azure; `nil` on one host.
    public let mutationGuard: (any MutationGuard)?
    /// How long an action may take (the request timeout), which the lease must outlast.
    public let mutationHorizon: Duration

    /// Creates the environment.
    public init(
        store: any StateStore,
        clock: any WallClock,
        logger: Logger,
        mutationGuard: (any MutationGuard)? = nil,
        mutationHorizon: Duration = .seconds(60)
    ) {
        self.store = store
        self.clock = clock
        self.logger = logger
        self.mutationGuard = mutationGuard
        self.mutationHorizon = mutationHorizon
    }
}
