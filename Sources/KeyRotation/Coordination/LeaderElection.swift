/// One node's side of the leader election on a lease: standby, campaigning, leading, and the
/// decisions between them.
///
/// A struct the coordinator drives: it asks ``next(now:)`` what to do, performs it (a lease read,
/// an acquisition, a renewal, a release), and reports the outcome with the send time of the
/// request. It never does I/O and reads no clock, so its timing is tested without waiting.
///
/// What it guarantees: it believes it leads (``holds(at:for:)``) only while a renewal or
/// acquisition it *sent* less than ``LeaseTiming/trust`` ago succeeded — Blob Storage timed that
/// lease from the request's arrival, later than the send — and it steps down at once on any
/// conflict (another holder, a broken lease). Standbys acquire only a lease they saw free
/// (available, expired or broken), never on a timer alone.
public struct LeaderElection: Sendable {
    /// What the coordinator must do next.
    public enum Action: Sendable, Equatable {
        /// Read the lease's state and call ``LeaderElection/observed(_:now:)`` (or
        /// ``LeaderElection/observationFailed(now:)``).
        case readLease
        /// Acquire the lease proposing `proposedID` (a fresh random id for each campaign, never
        /// the node's name) and call ``LeaderElection/acquired(id:sentAt:)`` or
        /// ``LeaderElection/acquisitionFailed(now:)``.
        case acquire(proposedID: String)
        /// Renew lease `id` and call ``LeaderElection/renewed(sentAt:)``,
        /// ``LeaderElection/renewalFailed(now:)`` or ``LeaderElection/lost(now:)``.
        case renew(id: String)
        /// Release lease `id` (best effort) and call ``LeaderElection/releaseEnded()``.
        case release(id: String)
        /// Nothing before `until`, unless an answer comes.
        case wait(until: BootInstant)
    }

    /// What a read of the lease found.
    public enum Observation: Sendable, Equatable {
        /// Available, expired or broken: anyone may acquire.
        case free
        /// Leased or breaking, by the node named in the blob's metadata (if it says).
        case held(by: String?)
    }

    /// The role, as status shows it.
    public enum Role: Sendable, Equatable {
        /// This node leads since `since`.
        case leader(since: BootInstant)
        /// Another node leads (named, if its blob says).
        case standby(leader: String?)
        /// No node is seen leading since `since`: the lease is free, or storage cannot be read.
        case noLeader(since: BootInstant)
    }

    /// A change of role worth a journal event.
    public enum Transition: Sendable, Equatable {
        /// This node acquired the lease.
        case elected
        /// This node stopped leading: lost is a conflict on renewal, expired is a trust that ran
        /// out without a good renewal, released is a clean stop.
        case steppedDown(StepDown)
    }

    /// Why a leader stopped leading.
    public enum StepDown: String, Sendable, Equatable {
        /// Blob Storage answered a renewal with a conflict: another node holds the lease or it was broken.
        case lost
        /// No renewal succeeded within the trusted time (storage unreachable, slow, refusing, or this process paused).
        case expired
        /// The node released the lease on its way out.
        case released
        /// The node gave the lease up because it could not lead (it could not take the journal over).
        case resigned
    }

    private struct Leadership: Sendable {
        var id: String
        var since: BootInstant
        /// Send time of the last renewal (or the acquisition) that succeeded.
        var lastGoodSend: BootInstant
        var nextRenewal: BootInstant
        var renewing = false
    }

    private enum State: Sendable {
        /// Polling; a read is in flight when `reading`.
        case standby(nextPoll: BootInstant, reading: Bool)
        /// An acquisition of `proposed` is in flight.
        case campaigning(proposed: String)
        case leading(Leadership)
        /// A release is in flight, or done: nothing more until the process ends.
        case stopping(releasing: Bool)
    }

    /// The lease's times.
    public let timing: LeaseTiming
    private var state: State
    /// The last read that found another node leading, and when.
    private var lastHeld: (leader: String?, at: BootInstant)?
    /// Since when the group is known to be without a leader, when no read found one since.
    private var leaderlessSince: BootInstant
    private var transitions: [Transition] = []
    private var random: SplitMix64
    private let newLeaseID: @Sendable (inout SplitMix64) -> String

    /// A standby that reads the lease at once. `newLeaseID` proposes the id of each campaign (a
    /// random UUID by default; tests fix it).
    public init(
        timing: LeaseTiming,
        now: BootInstant,
        random: SplitMix64 = SplitMix64(),
        newLeaseID: @escaping @Sendable (inout SplitMix64) -> String = { LeaderElection.uuid(&$0) }
    ) {
        self.timing = timing
        self.state = .standby(nextPoll: now, reading: false)
        self.random = random
        self.newLeaseID = newLeaseID
        self.leaderlessSince = now
    }

    // MARK: - Decisions

    /// What to do at `now`. A leader whose trust has run out steps down here, before anything else.
    public mutating func next(now: BootInstant) -> Action {
        switch state {
        case .standby(let nextPoll, let reading):
            // A read still out past the next poll's time ends with its timeout; look again after a retry's interval.
            if reading { return .wait(until: nextPoll > now ? nextPoll : now + timing.retryAfter) }
            guard now >= nextPoll else { return .wait(until: nextPoll) }
            state = .standby(nextPoll: now + timing.pollEvery + jitter(), reading: true)
            return .readLease
        case .campaigning:
            return .wait(until: now + timing.retryAfter)
        case .leading(var leadership):
            let trustEnds = leadership.lastGoodSend + timing.trust
            if now >= trustEnds {
                stepDown(.expired, now: now)
                return next(now: now)
            }
            if leadership.renewing { return .wait(until: trustEnds) }
            guard now >= leadership.nextRenewal else { return .wait(until: min(leadership.nextRenewal, trustEnds)) }
            leadership.renewing = true
            state = .leading(leadership)
            return .renew(id: leadership.id)
        case .stopping:
            return .wait(until: now + timing.duration)
        }
    }

    /// While this node leads, the end of its trust: the send time of its last good renewal plus
    /// ``LeaseTiming/trust``.
    public var trustEnds: BootInstant? {
        guard case .leading(let leadership) = state else { return nil }
        return leadership.lastGoodSend + timing.trust
    }

    /// Whether this node leads at `now` and its lease will still hold `horizon` later (the
    /// longest a request it is about to send can take): the check before every mutation.
    public func holds(at now: BootInstant, for horizon: Duration) -> Bool {
        guard case .leading(let leadership) = state else { return false }
        return now + horizon < leadership.lastGoodSend + timing.trust
    }

    /// The lease id while leading (journal writes carry it).
    public var leaseID: String? {
        guard case .leading(let leadership) = state else { return nil }
        return leadership.id
    }

    /// The role at `now`: a leader seen less than a lease's duration ago still leads, as far as
    /// this node can tell; one not seen for longer is gone from its view.
    public func role(at now: BootInstant) -> Role {
        if case .leading(let leadership) = state { return .leader(since: leadership.since) }
        guard let lastHeld else { return .noLeader(since: leaderlessSince) }
        let stale = lastHeld.at + timing.duration
        return now < stale ? .standby(leader: lastHeld.leader) : .noLeader(since: stale)
    }

    /// Returns and clears the transitions since the last call.
    public mutating func drainTransitions() -> [Transition] {
        defer { transitions.removeAll() }
        return transitions
    }

    // MARK: - Outcomes

    /// A read of the lease found `observation`: a free lease is acquired at once.
    public mutating func observed(_ observation: Observation, now: BootInstant) -> Action? {
        guard case .standby(let nextPoll, _) = state else { return nil }
        switch observation {
        case .held(let leader):
            lastHeld = (leader, now)
            state = .standby(nextPoll: nextPoll, reading: false)
            return nil
        case .free:
            if lastHeld != nil {
                lastHeld = nil
                leaderlessSince = now
            }
            let proposed = newLeaseID(&random)
            state = .campaigning(proposed: proposed)
            return .acquire(proposedID: proposed)
        }
    }

    /// The read failed (storage unreachable, refused, timed out): the next one comes soon, and
    /// ``role(at:)`` stops naming the last leader seen once a lease's duration has passed.
    public mutating func observationFailed(now: BootInstant) {
        guard case .standby(let nextPoll, _) = state else { return }
        state = .standby(nextPoll: min(nextPoll, now + timing.retryAfter), reading: false)
    }

    /// The acquisition sent at `sentAt` succeeded with lease `id`.
    public mutating func acquired(id: String, sentAt: BootInstant) {
        guard case .campaigning = state else { return }
        state = .leading(Leadership(id: id, since: sentAt, lastGoodSend: sentAt, nextRenewal: sentAt + timing.renewEvery))
        lastHeld = nil
        transitions.append(.elected)
    }

    /// The acquisition failed (another node won, or storage failed): back to polling.
    public mutating func acquisitionFailed(now: BootInstant) {
        guard case .campaigning = state else { return }
        state = .standby(nextPoll: now + timing.retryAfter + jitter(), reading: false)
    }

    /// The renewal sent at `sentAt` succeeded: the lease holds until `sentAt` plus the trust. A
    /// renewal that outlived the trust (answered after this node stepped down) changes nothing.
    public mutating func renewed(sentAt: BootInstant) {
        guard case .leading(var leadership) = state else { return }
        leadership.renewing = false
        leadership.lastGoodSend = max(leadership.lastGoodSend, sentAt)
        leadership.nextRenewal = sentAt + timing.renewEvery
        state = .leading(leadership)
    }

    /// The renewal failed without a conflict (a timeout, a 5xx, a 403): try again soon; the trust
    /// keeps running from the last good one.
    public mutating func renewalFailed(now: BootInstant) {
        guard case .leading(var leadership) = state else { return }
        leadership.renewing = false
        leadership.nextRenewal = now + timing.retryAfter
        state = .leading(leadership)
    }

    /// Blob Storage answered with a conflict (any 409 on renewal, a 412 on a leased write): the
    /// lease is lost, at once.
    public mutating func lost(now: BootInstant) {
        guard case .leading = state else { return }
        stepDown(.lost, now: now)
    }

    /// The node is stopping: a leader releases its lease so another takes over at once.
    public mutating func stop(now: BootInstant) -> Action? {
        guard case .leading(let leadership) = state else {
            state = .stopping(releasing: false)
            return nil
        }
        state = .stopping(releasing: true)
        transitions.append(.steppedDown(.released))
        leaderlessSince = now
        return .release(id: leadership.id)
    }

    /// The node cannot lead (its journal could not be taken over): it releases the lease and goes
    /// back to watching, after a poll's interval, so another node may take it first.
    public mutating func resign(now: BootInstant) -> Action? {
        guard case .leading(let leadership) = state else { return nil }
        state = .standby(nextPoll: now + timing.pollEvery + jitter(), reading: false)
        leaderlessSince = now
        transitions.append(.steppedDown(.resigned))
        return .release(id: leadership.id)
    }

    /// The release ended (either way: an unreleased lease expires by itself).
    public mutating func releaseEnded() {
        if case .stopping = state { state = .stopping(releasing: false) }
    }

    // MARK: - Helpers

    private mutating func stepDown(_ reason: StepDown, now: BootInstant) {
        state = .standby(nextPoll: now + timing.retryAfter + jitter(), reading: false)
        leaderlessSince = now
        transitions.append(.steppedDown(reason))
    }

    private mutating func jitter() -> Duration {
        let nanoseconds = timing.pollJitter.nanoseconds
        guard nanoseconds > 0 else { return .zero }
        return .nanoseconds(Int64.random(in: 0...nanoseconds, using: &random))
    }

    /// A random version-4 UUID, lower case, from `random`.
    public static func uuid(_ random: inout SplitMix64) -> String {
        var bytes = (0..<16).map { _ in UInt8.random(in: 0...255, using: &random) }
        bytes[6] = bytes[6] & 0x0F | 0x40
        bytes[8] = bytes[8] & 0x3F | 0x80
        let hex = bytes.map { ($0 < 16 ? "0" : "") + String($0, radix: 16) }.joined()
        let parts = [hex.prefix(8), hex.dropFirst(8).prefix(4), hex.dropFirst(12).prefix(4), hex.dropFirst(16).prefix(4), hex.dropFirst(20)]
        return parts.joined(separator: "-")
    }
}
