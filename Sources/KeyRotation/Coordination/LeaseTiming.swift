/// The times of a group's leader lease: how long a lease lasts, when the leader renews it, how
/// long it trusts a renewal, how often standbys look.
///
/// The leader counts its lease from the *send* time of its last good renewal: Blob Storage starts
/// the new period when the request arrives, which is later, so the lease holds on the service's
/// clock at least until that send time plus the duration. ``trust`` takes off a margin for the two
/// clocks' rates and for the freshness check itself.
public struct LeaseTiming: Sendable, Equatable {
    /// The lease's fixed duration: 15 to 60 seconds (Blob Storage's limits).
    public var duration: Duration
    /// How often the leader renews: well before the end (a quarter of the lease by default).
    public var renewEvery: Duration
    /// How soon a failed renewal (a timeout, a 5xx, a 403) is tried again.
    public var retryAfter: Duration
    /// How long after the send time of a good renewal the leader still trusts its lease: the
    /// duration less a margin. Past it the leader steps down.
    public var trust: Duration
    /// How often a standby reads the lease's state (plus up to ``pollJitter``).
    public var pollEvery: Duration
    /// The random part of each poll's delay, so standbys do not ask together.
    public var pollJitter: Duration

    /// Timing for a lease of `duration`: renewals every quarter of it, retries after 2 s, trust
    /// until 5 s before its end, polls every quarter plus up to an eighth.
    public init(duration: Duration = .seconds(60)) {
        self.duration = duration
        self.renewEvery = duration / 4
        self.retryAfter = .seconds(2)
        self.trust = duration - .seconds(5)
        self.pollEvery = duration / 4
        self.pollJitter = duration / 8
    }

    /// Why a timing cannot hold a lease safely, or `nil`: a duration Blob Storage refuses, trust
    /// beyond the lease, or renewals so rare that one failure and a retry outlast the trust.
    public var problem: String? {
        if duration < .seconds(15) || duration > .seconds(60) { return "the lease lasts 15 to 60 seconds" }
        if trust >= duration { return "the leader may trust its lease only for less than its duration" }
        if renewEvery + retryAfter >= trust { return "a renewal and one retry must fit in the trusted time" }
        if retryAfter <= .zero || pollEvery <= .zero || pollJitter < .zero { return "the intervals must be positive" }
        return nil
    }
}
