import FoundationEssentials

/// One resource's figures for the metrics file: what ``ResourceStatus`` shows, as numbers a
/// monitoring system can alert on. Built from the record; never holds a secret.
public struct ResourceMetrics: Sendable, Equatable {
    /// Why a resource waits, as the metrics file labels it.
    public enum Waiting: String, Sendable, CaseIterable {
        /// Consumers move to the published key (the `full` strategy's grace), or the invariant holds
        /// the regeneration of a key published less than `grace` ago.
        case grace
        /// A failed step waits for its retry.
        case retry
        /// The regeneration waits for consumers to confirm the published key.
        case confirmation
        /// The regeneration waits for a maintenance window to open.
        case window

        /// The label of `reason`.
        init(_ reason: WaitReason) {
            switch reason {
            case .grace, .invariant: self = .grace
            case .retry: self = .retry
            case .consumersUnconfirmed: self = .confirmation
            case .window: self = .window
            }
        }
    }

    /// The configured name.
    public var name: String
    /// The resource type's name (`communication`, `storage` …).
    public var type: String
    /// When the published key became the published one (adopted keys: the adoption); `nil` before adoption.
    public var publishedSince: Date?
    /// Completed rotations (kept in the record, so it survives restarts).
    public var rotations: Int
    /// Failed steps since the daemon started.
    public var failures: Int
    /// When the last rotation completed.
    public var lastRotation: Date?
    /// When keyrotd next works on the resource: the next rotation, or the next step of the one under
    /// way (the end of grace, a retry, a window opening); `status --json`'s `nextDue`.
    public var nextDue: Date?
    /// Why the resource waits, if it does.
    public var waiting: Waiting?

    /// The figures of `name` from its record, the failures its rotator counted and its wait reason.
    public init(name: String, type: String, record: ResourceState, failures: Int, waitReason: WaitReason?) {
        let status = ResourceStatus(name: name, record: record)
        self.name = name
        self.type = type
        self.publishedSince = record.publishedSince
        self.rotations = status.rotations
        self.failures = failures
        self.lastRotation = status.lastRotation
        self.nextDue = status.nextDue
        self.waiting = waitReason.map(Waiting.init)
    }
}
