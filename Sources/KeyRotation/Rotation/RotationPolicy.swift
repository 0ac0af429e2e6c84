/// The scheduling and strategy settings of one resource, as the rotation engine needs them.
public struct RotationPolicy: Sendable, Equatable {
    /// How the keys are rotated.
    public var strategy: RotationStrategy
    /// The rotation period.
    public var every: Duration
    /// How long a key stays valid after it stopped being published.
    public var grace: Duration
    /// The random delay added to each scheduled rotation, at most.
    public var jitter: Duration
    /// The first retry delay after a failure.
    public var retryInitial: Duration
    /// The longest retry delay.
    public var retryMax: Duration
    /// When regenerations may start (emergencies excepted); `nil`: always.
    public var windows: MaintenanceWindows?

    /// Creates a policy.
    public init(
        strategy: RotationStrategy,
        every: Duration,
        grace: Duration,
        jitter: Duration = .zero,
        retryInitial: Duration = .seconds(30),
        retryMax: Duration = .seconds(3600),
        windows: MaintenanceWindows? = nil
    ) {
        self.windows = windows
        self.strategy = strategy
        self.every = every
        self.grace = grace
        self.jitter = jitter
        self.retryInitial = retryInitial
        self.retryMax = retryMax
    }

    /// The policy of a configured resource.
    public init(_ resource: ResourceConfiguration, daemon: DaemonSettings) {
        self.init(
            strategy: resource.strategy,
            every: resource.every,
            grace: resource.grace,
            jitter: resource.jitter,
            retryInitial: daemon.retryInitial,
            retryMax: daemon.retryMax,
            windows: resource.windows
        )
    }
}
