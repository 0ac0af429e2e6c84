import FoundationEssentials
import KeyRotation

/// Everything the metrics file shows at one instant: each resource's figures, each follower's, and
/// the daemon's ARM traffic. Holds names, counts and instants only, never a key.
public struct MetricsSnapshot: Sendable {
    /// Requests of one ARM operation answered with one HTTP status (`none`: no answer).
    public struct ARMRequests: Sendable {
        /// The operation (`listKeys`, `regenerateKey` …).
        public var operation: String
        /// The HTTP status, or `none`.
        public var code: String
        /// How many since the daemon started.
        public var count: Int

        /// Creates a count.
        public init(operation: String, code: String, count: Int) {
            self.operation = operation
            self.code = code
            self.count = count
        }
    }

    /// Each configured resource's figures, in configuration order.
    public var resources: [ResourceMetrics]
    /// ARM requests by operation and answer.
    public var armRequests: [ARMRequests]
    /// Requests ARM answered with 429.
    public var armThrottled: Int { armRequests.filter { $0.code == "429" }.reduce(0) { $0 + $1.count } }
    /// What each subscription's ARM write budget holds (requests keyrotd may send at once).
    public var writeBudgetRemaining: [String: Double]
    /// Each follower's status (`[[follow]]`), in configuration order.
    public var followers: [FollowerStatus]
    /// This node's place in its high-availability group, if it is in one.
    public var group: Group?

    /// A node's role in its high-availability group.
    public struct Group: Sendable {
        /// The node's name.
        public var node: String
        /// Whether it leads.
        public var leader: Bool
        /// How long the group has been without a leader this node can see (zero while one is seen).
        public var withoutLeader: Duration

        /// Creates the figures.
        public init(node: String, leader: Bool, withoutLeader: Duration) {
            self.node = node
            self.leader = leader
            self.withoutLeader = withoutLeader
        }
    }

    /// What the expiry watch last read of each `[[application]]`.
    public var applications: [ApplicationExpiry]

    /// Creates a snapshot.
    public init(
        resources: [ResourceMetrics],
        armRequests: [ARMRequests],
        writeBudgetRemaining: [String: Double],
        followers: [FollowerStatus] = [],
        group: Group? = nil,
        applications: [ApplicationExpiry] = []
    ) {
        self.applications = applications
        self.resources = resources
        self.armRequests = armRequests
        self.writeBudgetRemaining = writeBudgetRemaining
        self.followers = followers
        self.group = group
    }

    /// The snapshot in Prometheus' text format, ages measured at `now`.
    public func exposition(now: Date) -> String {
        var text = PrometheusText()
        func each(_ value: (ResourceMetrics) -> Double?) -> [PrometheusText.Sample] {
            resources.compactMap { r in value(r).map { PrometheusText.Sample([("resource", r.name), ("type", r.type)], $0) } }
        }
        text.family(
            "keyrotd_key_age_seconds",
            .gauge,
            help: "Seconds since the published key was published (an adopted key: since its adoption).",
            each { r in r.publishedSince.map { Self.milliseconds(max(0, now.timeIntervalSince($0))) } }
        )
        text.family("keyrotd_rotations_total", .counter, help: "Completed rotations, kept across restarts.", each { Double($0.rotations) })
        text.family(
            "keyrotd_rotation_failures_total",
            .counter,
            help: "Failed rotation steps since the daemon started.",
            each { Double($0.failures) }
        )
        text.family(
            "keyrotd_last_rotation_timestamp_seconds",
            .gauge,
            help: "When the last rotation completed, in seconds since the Unix epoch.",
            each { $0.lastRotation.map { Self.milliseconds($0.timeIntervalSince1970) } }
        )
        text.family(
            "keyrotd_next_rotation_timestamp_seconds",
            .gauge,
            help:
                "When keyrotd next works on the resource (the next rotation, or the next step of the one under way), in seconds since the Unix epoch.",
            each { $0.nextDue.map { Self.milliseconds($0.timeIntervalSince1970) } }
        )
        text.family(
            "keyrotd_waiting",
            .gauge,
            help: "1 when the resource waits for the reason: grace, retry (a failed step), confirmation (consumers), window (maintenance).",
            resources.flatMap { r in
                ResourceMetrics.Waiting.allCases.map { reason in
                    PrometheusText.Sample([("resource", r.name), ("type", r.type), ("reason", reason.rawValue)], r.waiting == reason ? 1 : 0)
                }
            }
        )
        text.family(
            "keyrotd_arm_requests_total",
            .counter,
            help: "Requests sent to ARM since the daemon started, by operation and HTTP status (none: no answer).",
            armRequests.map { PrometheusText.Sample([("operation", $0.operation), ("code", $0.code)], Double($0.count)) }
        )
        text.family(
            "keyrotd_arm_throttled_total",
            .counter,
            help: "Requests ARM throttled (answered 429) since the daemon started.",
            [PrometheusText.Sample([], Double(armThrottled))]
        )
        text.family(
            "keyrotd_write_budget_remaining",
            .gauge,
            help: "ARM write requests keyrotd may send to the subscription at once, as it paces itself within ARM's budget.",
            writeBudgetRemaining.sorted { $0.key < $1.key }.map { PrometheusText.Sample([("subscription", $0.key)], $0.value.rounded(.down)) }
        )
        func eachFollower(_ value: (FollowerStatus) -> Double?) -> [PrometheusText.Sample] {
            followers.compactMap { f in value(f).map { PrometheusText.Sample([("follower", f.name)], $0) } }
        }
        text.family(
            "keyrotd_follower_delivered_timestamp_seconds",
            .gauge,
            help: "When the follower delivered the version its file holds (file durable, hooks succeeded), in seconds since the Unix epoch.",
            eachFollower { $0.deliveredAt.map { Self.milliseconds($0.timeIntervalSince1970) } }
        )
        text.family(
            "keyrotd_follower_last_check_timestamp_seconds",
            .gauge,
            help: "When the follower last asked its vault, in seconds since the Unix epoch.",
            eachFollower { $0.lastCheck.map { Self.milliseconds($0.timeIntervalSince1970) } }
        )
        text.family(
            "keyrotd_follower_failures",
            .gauge,
            help: "The follower's failed polls in a row (0: it follows its secret).",
            eachFollower { Double($0.consecutiveFailures) }
        )
        text.family(
            "keyrotd_follower_confirmed",
            .gauge,
            help: "1 when the version the follower delivered carries its confirmation tag for the leader.",
            eachFollower { $0.confirmed.map { $0 ? 1 : 0 } }
        )
        text.family(
            "keyrotd_application_credential_end_timestamp_seconds",
            .gauge,
            help:
                "When each password and certificate of a configured application ends (its endDateTime), in seconds since the Unix epoch; whoever made it.",
            applications.flatMap { application in
                application.credentials.map {
                    PrometheusText.Sample(
                        [("application", application.application), ("kind", $0.kind), ("key_id", $0.keyID), ("display_name", $0.displayName)],
                        $0.end.timeIntervalSince1970.rounded()
                    )
                }
            }
        )
        text.family(
            "keyrotd_application_read_timestamp_seconds",
            .gauge,
            help: "When the application's credentials were last read successfully, in seconds since the Unix epoch.",
            applications.compactMap { a in
                a.readAt.map { PrometheusText.Sample([("application", a.application)], Self.milliseconds($0.timeIntervalSince1970)) }
            }
        )
        text.family(
            "keyrotd_application_read_failing",
            .gauge,
            help: "1 when the last read of the application's credentials failed (see the journal), else 0.",
            applications.map { PrometheusText.Sample([("application", $0.application)], $0.error == nil ? 0 : 1) }
        )
        let node = group.map { [PrometheusText.Sample([("node", $0.node)], 0)] } ?? []
        text.family(
            "keyrotd_group_leader",
            .gauge,
            help: "1 while this node leads its high-availability group, else 0.",
            node.map { PrometheusText.Sample($0.labels, group?.leader == true ? 1 : 0) }
        )
        text.family(
            "keyrotd_group_without_leader_seconds",
            .gauge,
            help: "Seconds the group has been without a leader this node can see (0 while one is seen); nothing is rotated meanwhile.",
            node.map { PrometheusText.Sample($0.labels, Self.milliseconds(group.map { Double($0.withoutLeader.milliseconds) / 1000 } ?? 0)) }
        )
        return text.text
    }

    /// Seconds to the millisecond: finer digits are noise to a scrape every few seconds, and bytes in
    /// a file of 10,000 resources.
    static func milliseconds(_ seconds: Double) -> Double { (seconds * 1000).rounded() / 1000 }
}
