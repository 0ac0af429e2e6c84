import FoundationEssentials

/// The scheduler's facts for `STATUS=` and the status header: how many resources, how many failing,
/// and which is worked on next. Compared as facts, so a summary whose relative times alone changed
/// ("in 3d" becoming "in 2d") is not sent again.
public struct ResourceSummary: Sendable, Equatable {
    /// Configured resources.
    public var count: Int
    /// Resources whose last step failed.
    public var failing: Int
    /// The resource worked on next, and when.
    public var next: Next?

    /// The resource worked on next.
    public struct Next: Sendable, Equatable {
        /// Its configured name.
        public var name: String
        /// When.
        public var at: Date

        /// Creates the entry.
        public init(name: String, at: Date) {
            self.name = name
            self.at = at
        }
    }

    /// Creates a summary.
    public init(count: Int, failing: Int, next: Next?) {
        self.count = count
        self.failing = failing
        self.next = next
    }

    /// The summary of resources read from their state records (`keyrotd status` without a daemon).
    public init(_ statuses: [ResourceStatus]) {
        self.count = statuses.count
        self.failing = statuses.filter { $0.consecutiveFailures > 0 }.count
        self.next = statuses.compactMap { s in s.nextDue.map { Next(name: s.name, at: $0) } }.min { ($0.at, $0.name) < ($1.at, $1.name) }
    }

    /// `3 resources; next: acs-prod in 3d4h; no failures`.
    public func text(now: Date) -> String {
        var text = "\(count) resource\(count == 1 ? "" : "s")"
        if let next { text += "; next: \(next.name) \(ResourceStatus.relative(next.at, now: now))" }
        text += failing == 0 ? "; no failures" : "; \(failing) failing"
        return text
    }
}
