import KeyRotation
import Logging
import ServiceLifecycle

/// Runs every follower (`[[follow]]`, and in a group one per resource) of the daemon, each polling
/// on its own but at most ``concurrentPolls`` at once, until graceful shutdown; a reload hands it
/// the next set. Each poll's status is kept for `keyrotd status`, and the one-line summary goes to
/// `onSummary` (the scheduler's `STATUS=`) when it changes, from counts kept as polls end (a
/// summary built from every status at every poll costs 10,000 × 10,000 at a large node's start).
public actor FollowerService: Service {
    private var followers: [String: SecretFollower] = [:]
    private var tasks: [String: Task<Void, Never>] = [:]
    private var statuses: [String: FollowerStatus] = [:]
    private var order: [String] = []
    private var running = false
    private var lastSummary: String?
    private let onSummary: @Sendable (String?) async -> Void
    private let gate: PollGate
    /// The followers whose last poll failed, and those without a delivered version.
    private var failing: Set<String> = []
    private var withoutVersion: Set<String> = []

    /// How many followers ask their vaults at once by default: far below Key Vault's 4,000
    /// requests per 10 s per vault, and few connections beside the lease's renewals.
    public static let concurrentPolls = 16

    /// Creates the service over `followers`; `onSummary` hears the summary whenever it changes.
    public init(
        followers: [SecretFollower],
        concurrentPolls: Int = FollowerService.concurrentPolls,
        onSummary: @escaping @Sendable (String?) async -> Void
    ) {
        self.onSummary = onSummary
        self.gate = PollGate(limit: concurrentPolls)
        for follower in followers {
            self.followers[follower.configuration.name] = follower
            order.append(follower.configuration.name)
        }
    }

    /// Every follower's latest status, in configuration order.
    public var currentStatuses: [FollowerStatus] {
        get async {
            var result: [FollowerStatus] = []
            for name in order {
                if let status = statuses[name] {
                    result.append(status)
                } else if let follower = followers[name] {
                    result.append(await follower.status)
                }
            }
            return result
        }
    }

    /// Polls every follower until graceful shutdown, then stops them (a poll in flight is cancelled:
    /// its record is written only after its delivery, so the next start repeats it).
    public func run() async throws {
        running = true
        for name in order {
            if statuses[name] == nil, let follower = followers[name] { track(await follower.status) }
        }
        for name in order { start(name) }
        await publishSummary()
        try? await gracefulShutdown()
        running = false
        let stopping = tasks.values
        tasks.removeAll()
        for task in stopping { task.cancel() }
        for task in stopping { await task.value }
    }

    /// Replaces the followers with `next` (a reload): unchanged ones (the same instance) keep
    /// running, the others stop and the new ones start.
    public func replace(_ next: [SecretFollower]) async {
        let nextNames = next.map(\.configuration.name)
        for (name, follower) in followers where !next.contains(where: { $0 === follower }) {
            tasks.removeValue(forKey: name)?.cancel()
            statuses[name] = nil
            failing.remove(name)
            withoutVersion.remove(name)
        }
        let kept = Set(followers.keys)
        followers = Dictionary(uniqueKeysWithValues: next.map { ($0.configuration.name, $0) })
        order = nextNames
        for follower in next where !kept.contains(follower.configuration.name) || statuses[follower.configuration.name] == nil {
            track(await follower.status)
        }
        if running {
            for name in order where tasks[name] == nil { start(name) }
        }
        await publishSummary()
    }

    private func start(_ name: String) {
        guard let follower = followers[name] else { return }
        let gate = self.gate
        tasks[name] = Task { await follower.run(gate: gate) { status in await self.noted(status, from: follower) } }
    }

    private func noted(_ status: FollowerStatus, from follower: SecretFollower) async {
        // A poll that ends after a reload replaced its follower must not overwrite the new one's.
        guard followers[status.name] === follower else { return }
        statuses[status.name] = status
        track(status)
        await publishSummary()
    }

    /// Counts `status` in the summary.
    private func track(_ status: FollowerStatus) {
        if status.consecutiveFailures > 0 { failing.insert(status.name) } else { failing.remove(status.name) }
        if status.version == nil { withoutVersion.insert(status.name) } else { withoutVersion.remove(status.name) }
    }

    private func publishSummary() async {
        let summary = FollowerStatus.summary(count: order.count, failing: failing.count, withoutVersion: withoutVersion.count)
        guard summary != lastSummary else { return }
        lastSummary = summary
        await onSummary(summary)
    }
}
