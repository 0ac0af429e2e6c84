/// The scheduling and strategy settings of one resource, as the rotation engine needs them.
///
/// A value with its fields in one immutable shared object: most resources have the same policy, and
/// ``interned(in:)`` lets 10,000 machines hold one word each instead of 120 bytes.
public struct RotationPolicy: Sendable, Hashable {
    private struct Values: Sendable, Hashable {
        var strategy: RotationStrategy
        var every: Duration
        var grace: Duration
        var jitter: Duration
        var retryInitial: Duration
        var retryMax: Duration
        var windows: MaintenanceWindows?
        var consumers: ConsumerWait?
        var model: CredentialModel = .keyPair
    }

    private final class Storage: Sendable {
        let values: Values
        init(_ values: Values) { self.values = values }
    }

    private var storage: Storage

    private var values: Values {
        get { storage.values }
        set { storage = Storage(newValue) }
    }

    /// How the keys are rotated.
    public var strategy: RotationStrategy {
        get { values.strategy }
        set { values.strategy = newValue }
    }
    /// The rotation period.
    public var every: Duration {
        get { values.every }
        set { values.every = newValue }
    }
    /// How long a key stays valid after it stopped being published.
    public var grace: Duration {
        get { values.grace }
        set { values.grace = newValue }
    }
    /// How the upstream holds credentials: ARM's pair of keys, or an application's passwords.
    public var model: CredentialModel {
        get { values.model }
        set { values.model = newValue }
    }
    /// The random delay added to each scheduled rotation, at most.
    public var jitter: Duration {
        get { values.jitter }
        set { values.jitter = newValue }
    }
    /// The first retry delay after a failure.
    public var retryInitial: Duration {
        get { values.retryInitial }
        set { values.retryInitial = newValue }
    }
    /// The longest retry delay.
    public var retryMax: Duration {
        get { values.retryMax }
        set { values.retryMax = newValue }
    }
    /// When regenerations may start (emergencies excepted); `nil`: always.
    public var windows: MaintenanceWindows? {
        get { values.windows }
        set { values.windows = newValue }
    }
    /// The consumers that must confirm the published key before the key they are leaving is
    /// regenerated (emergencies excepted); `nil`: none are listed.
    public var consumers: ConsumerWait? {
        get { values.consumers }
        set { values.consumers = newValue }
    }

    /// Who must confirm the published key before a regeneration, and for how long keyrotd waits.
    public struct ConsumerWait: Sendable, Hashable {
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
        storage = Storage(
            Values(
                strategy: strategy,
                every: every,
                grace: grace,
                jitter: jitter,
                retryInitial: retryInitial,
                retryMax: retryMax,
                windows: windows,
                consumers: consumers
            )
        )
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
        if resource.application != nil { model = .addAndRemove }
    }

    /// This policy, sharing its storage with an equal one already in `policies` (or added to it).
    public func interned(in policies: inout Set<RotationPolicy>) -> RotationPolicy {
        policies.insert(self).memberAfterInsert
    }

    public static func == (lhs: RotationPolicy, rhs: RotationPolicy) -> Bool {
        lhs.storage === rhs.storage || lhs.values == rhs.values
    }

    public func hash(into hasher: inout Hasher) { hasher.combine(values) }
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
