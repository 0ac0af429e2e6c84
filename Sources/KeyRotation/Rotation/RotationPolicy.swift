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
    /// The consumers that must confirm the published key before the key they are leaving is
    /// regenerated (emergencies excepted); `nil`: none are listed.
    public var consumers: ConsumerWait?

    /// Who must confirm the published key before a regeneration, and for how long keyrotd waits.
    public struct ConsumerWait: Sendable, Equatable {
        /// The consumers as status and `--dry-run` name them (`/run/app/ack`, `check-keys`, `follower web-2`).
        public var names: [String]
        /// How long after a key was published its consumers have to confirm before the alarm.
        public var timeout: Duration

        /// How often unconfirmed consumers are asked again before the timeout.
        public static let pollInterval: Duration = .seconds(5)

        /// Creates the wait for `names`.
        public init(names: [String], timeout: Duration) {
            self.names = names
            self.timeout = timeout
        }
    }

    /// Creates a policy.
    public init(
        strategy: RotationStrategy,
        every: Duration,
        grace: Duration,
        jitter: Duration = .zero,
        retryInitial: Duration = .seconds(30),
        retryMax: Duration = .seconds(3600),
        windows: MaintenanceWindows? = nil,
        consumers: ConsumerWait? = nil
    ) {
        self.windows = windows
        self.consumers = consumers
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
            windows: resource.windows,
            consumers: ConsumerWait(resource)
        )
    }
}

extension RotationPolicy.ConsumerWait {
    /// The wait `resource` configures, `nil` when it lists no consumer.
    public init?(_ resource: ResourceConfiguration) {
        let names =
            resource.confirmAckFiles + (resource.confirmCommand.map { [$0.program] } ?? []) + resource.confirmFollowers.map { "follower \($0)" }
        guard !names.isEmpty else { return nil }
        self.init(names: names, timeout: resource.confirmTimeout)
    }
}
