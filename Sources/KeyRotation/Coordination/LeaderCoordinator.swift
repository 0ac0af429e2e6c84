import Logging
import ServiceLifecycle
import Synchronization

/// Runs this node's ``LeaderElection`` against a ``LeaseBackend``: reads, acquisitions, renewals
/// and the release at shutdown, on ``BootClock`` time, and tells the rest of the daemon whether it
/// leads.
///
/// Renewal never waits behind other work: the coordinator is its own service, and each backend
/// call runs in its own task while the loop keeps watching the clock, so a renewal that hangs
/// cannot keep a leader leading past its trust. Every transition is a journal event.
public actor LeaderCoordinator: Service {
    /// The group's name in logs (its journal's URL).
    public nonisolated let group: String
    /// This node's name.
    public nonisolated let node: String
    /// Each change of this node's role, for the daemon to start or stop rotating: an election
    /// carries the lease id the journal is taken over with.
    public nonisolated let changes: AsyncStream<Change>
    private let changed: AsyncStream<Change>.Continuation
    private var election: LeaderElection
    private let backend: any LeaseBackend
    private let clock: any BootClock
    private let logger: Logger
    /// What runs before a clean release with the lease's id (the journal notes the release).
    private let beforeRelease: @Sendable (String) async -> Void
    private var calls: [Int: Task<Void, Never>] = [:]
    private var nextCall = 0
    private var waiter: CheckedContinuation<Void, Never>?
    private var woken = false
    /// The end of the loop's current wait.
    private var sleepingUntil: BootInstant?
    /// Whether the current time without a leader was reported.
    private var alarmed = false
    private var stopped = false
    /// What the daemon made of this node's leadership so far (``leading(epoch:rotating:note:)``).
    private var leadership: (epoch: Int?, rotating: Bool, note: String?)?
    /// Told each new ``status()`` text (the daemon's `STATUS=`).
    private let onStatus: @Sendable (GroupStatus) -> Void
    private var statusText: String?
    /// The end of this node's trust while it leads (boot-time nanoseconds), `Int64.max` otherwise:
    /// read without waiting for the actor, which a hung coordinator would never give.
    private nonisolated let trustEndsAt = Atomic<Int64>(.max)

    /// A change of this node's role.
    public enum Change: Sendable, Equatable {
        /// This node leads, with lease `leaseID`.
        case elected(leaseID: String)
        /// This node stopped leading.
        case steppedDown(LeaderElection.StepDown)
    }

    /// Creates the coordinator of `node` in `group`.
    public init(
        group: String,
        node: String,
        election: LeaderElection,
        backend: any LeaseBackend,
        clock: any BootClock,
        logger: Logger,
        beforeRelease: @escaping @Sendable (String) async -> Void = { _ in },
        onStatus: @escaping @Sendable (GroupStatus) -> Void = { _ in }
    ) {
        self.beforeRelease = beforeRelease
        self.onStatus = onStatus
        self.group = group
        self.node = node
        (changes, changed) = AsyncStream.makeStream(of: Change.self)
        self.election = election
        self.backend = backend
        self.clock = clock
        self.logger = logger
    }

    /// Whether this node leads now and will still hold the lease `horizon` later: the check
    /// before every mutation (the request's timeout as the horizon).
    public func holds(for horizon: Duration) -> Bool {
        election.holds(at: clock.now(), for: horizon)
    }

    /// The lease id while leading (journal writes carry it).
    public var leaseID: String? { election.leaseID }

    /// Whether the loop waits for a time still ahead, with at most `inFlight` backend calls out
    /// (tests settle on it before moving their clock).
    func isWaiting(inFlight: Int) -> Bool {
        waiter != nil && !woken && calls.count <= inFlight && (sleepingUntil.map { $0 > clock.now() } ?? false)
    }

    /// Whether this node's renewals are on time: it does not lead, or its trust has not ended. A
    /// coordinator that cannot run (hung, starved) keeps leading past its trust without stepping
    /// down; the watchdog then stops its pings, so systemd ends the process — defence in depth
    /// behind the journal's fence. Never waits for the actor.
    public nonisolated func renewalsOnTime() -> Bool {
        clock.now().nanoseconds < trustEndsAt.load(ordering: .relaxed)
    }

    /// The role now.
    public func role() -> LeaderElection.Role {
        election.role(at: clock.now())
    }

    /// Records how far the daemon got with this node's leadership: the epoch of its journal
    /// takeover, whether its rotators run, and what it waits for until they do. Ignored unless
    /// this node leads; forgotten when it steps down.
    public func leading(epoch: Int?, rotating: Bool, note: String?) {
        guard leadership != nil else { return }
        leadership = (epoch, rotating, note)
        publishStatus()
    }

    /// This node's place in the group now, for `keyrotd status`.
    public func status() -> GroupStatus {
        let now = clock.now()
        var status = GroupStatus(group: group, node: node, role: .noLeader)
        switch election.role(at: now) {
        case .leader:
            status.role = .leader
            status.leader = node
            status.epoch = leadership?.epoch
            status.rotating = leadership?.rotating ?? false
            status.note = leadership.map { $0.rotating ? nil : $0.note ?? "taking the journal over" } ?? nil
        case .standby(let leader):
            status.role = .standby
            status.leader = leader
        case .noLeader(let since):
            status.withoutLeaderSeconds = (now - since).seconds
        }
        return status
    }

    /// Campaigns, leads and watches until graceful shutdown, then releases a lease it holds.
    public func run() async throws {
        await withGracefulShutdownHandler {
            await loop()
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
        for call in calls.values { call.cancel() }
        if let release = election.stop(now: clock.now()), case .release(let id) = release {
            report()
            // The release is sent even though the service is ending: another node takes over at
            // once instead of waiting out the lease. It is bounded by the backend's own timeout.
            let (backend, beforeRelease) = (self.backend, self.beforeRelease)
            let released = await Task { () -> (any Error)? in
                await beforeRelease(id)
                do {
                    try await backend.release(id: id)
                    return nil
                } catch {
                    return error
                }
            }.value
            if let released { logger.notice("releasing the group's lease failed; it expires by itself", metadata: .fields([.error: "\(released)"])) }
            election.releaseEnded()
        }
        changed.finish()
    }

    /// Gives the lease up because this node cannot lead (its journal could not be taken over);
    /// it watches again and may be elected later.
    public func resign() {
        guard case .release(let id)? = election.resign(now: clock.now()) else { return }
        report()
        call { backend in
            try? await backend.release(id: id)
            return { _ in }
        }
    }

    /// How long the group has been without a leader this node can see (zero while one is seen or
    /// this node leads).
    public func timeWithoutLeader() -> Duration {
        let now = clock.now()
        guard case .noLeader(let since) = election.role(at: now) else { return .zero }
        return now - since
    }

    /// Ends the loop (graceful shutdown, or a test).
    public func stop() {
        stopped = true
        wake()
    }

    private func loop() async {
        while !stopped && !Task.isCancelled {
            let now = clock.now()
            let action = election.next(now: now)
            report()
            switch action {
            case .wait(let until):
                await sleep(until: until)
            case .readLease:
                call { backend in
                    do {
                        let observation = try await backend.observe()
                        return { coordinator in coordinator.observed(observation) }
                    } catch {
                        return { coordinator in coordinator.observationFailed(error) }
                    }
                }
            case .acquire(let proposed):
                sendAcquire(proposed)
            case .renew(let id):
                let clock = self.clock
                call { backend in
                    let sentAt = clock.now()
                    do {
                        try await backend.renew(id: id)
                        return { coordinator in coordinator.election.renewed(sentAt: sentAt) }
                    } catch let conflict as LeaseConflict {
                        return { coordinator in coordinator.renewalLost(conflict) }
                    } catch {
                        return { coordinator in coordinator.renewalFailed(error) }
                    }
                }
            case .release:
                // Only ``run()`` releases, after the loop.
                break
            }
        }
    }

    // MARK: - Outcomes

    private func observed(_ observation: LeaderElection.Observation) {
        // A free lease is acquired at once.
        if case .acquire(let proposed)? = election.observed(observation, now: clock.now()) { sendAcquire(proposed) }
    }

    private func observationFailed(_ error: any Error) {
        logger.notice("reading the group's lease failed", metadata: .fields([.group: .string(group), .error: "\(error)"]))
        election.observationFailed(now: clock.now())
    }

    private func acquisitionFailed(_ error: any Error) {
        if !(error is LeaseConflict) {
            logger.notice("acquiring the group's lease failed", metadata: .fields([.group: .string(group), .error: "\(error)"]))
        }
        election.acquisitionFailed(now: clock.now())
    }

    private func renewalLost(_ conflict: LeaseConflict) {
        logger.warning("the group's lease was lost on renewal", metadata: .fields([.group: .string(group), .error: "\(conflict)"]))
        election.lost(now: clock.now())
    }

    private func renewalFailed(_ error: any Error) {
        logger.warning("renewing the group's lease failed; retrying", metadata: .fields([.group: .string(group), .error: "\(error)"]))
        election.renewalFailed(now: clock.now())
    }

    /// Logs the machine's transitions, and a group without a leader for longer than a lease (once).
    private func report() {
        trustEndsAt.store(election.trustEnds?.nanoseconds ?? .max, ordering: .relaxed)
        for transition in election.drainTransitions() {
            switch transition {
            case .elected:
                leadership = (nil, false, nil)
                logger.log(.leaderElected, "this node leads the group", [.group: .string(group), .node: .string(node)])
                if let id = election.leaseID { changed.yield(.elected(leaseID: id)) }
            case .steppedDown(let reason):
                leadership = nil
                logger.log(
                    .leaderSteppedDown,
                    "this node stopped leading the group (\(reason.rawValue))",
                    [.group: .string(group), .node: .string(node), .stepDownReason: .string(reason.rawValue)]
                )
                changed.yield(.steppedDown(reason))
            }
        }
        publishStatus()
        let now = clock.now()
        guard case .noLeader(let since) = election.role(at: now) else {
            alarmed = false
            return
        }
        guard !alarmed, now - since >= election.timing.duration else { return }
        alarmed = true
        logger.log(.groupLeaderless, "no node of the group is seen leading; nothing is rotated", [.group: .string(group), .node: .string(node)])
    }

    /// Tells ``onStatus`` the status when its text changed (a standby that sees a new leader, a
    /// leader whose takeover ended).
    private func publishStatus() {
        // A node that is stopping has nothing more to say about the group.
        guard !stopped else { return }
        let status = status()
        guard status.text != statusText else { return }
        statusText = status.text
        onStatus(status)
    }

    // MARK: - Calls and waking

    /// Runs one backend call in its own task; its outcome is applied on the actor and wakes the loop.
    private func call(_ body: @escaping @Sendable (any LeaseBackend) async -> @Sendable (isolated LeaderCoordinator) -> Void) {
        nextCall += 1
        let id = nextCall
        let backend = self.backend
        calls[id] = Task {
            let outcome = await body(backend)
            self.finish(id, outcome)
        }
    }

    private func finish(_ id: Int, _ outcome: @Sendable (isolated LeaderCoordinator) -> Void) {
        calls[id] = nil
        outcome(self)
        wake()
    }

    private func sendAcquire(_ proposed: String) {
        let (duration, clock) = (election.timing.duration, self.clock)
        call { backend in
            let sentAt = clock.now()
            do {
                let id = try await backend.acquire(proposedID: proposed, duration: duration)
                return { coordinator in coordinator.election.acquired(id: id, sentAt: sentAt) }
            } catch {
                return { coordinator in coordinator.acquisitionFailed(error) }
            }
        }
    }

    private func sleep(until deadline: BootInstant) async {
        if woken {
            woken = false
            return
        }
        let clock = self.clock
        sleepingUntil = deadline
        defer { sleepingUntil = nil }
        let timer = Task {
            // A timer cancelled because something else woke the loop must not wake it again: that
            // wake would end the next sleep early, whose cancelled timer would end the one after.
            guard (try? await clock.sleep(until: deadline)) != nil, !Task.isCancelled else { return }
            self.wake()
        }
        await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if woken {
                    woken = false
                    continuation.resume()
                } else {
                    waiter = continuation
                }
            }
        } onCancel: {
            Task { await self.wake() }
        }
        timer.cancel()
    }

    private func wake() {
        if let waiter {
            self.waiter = nil
            waiter.resume()
        } else {
            woken = true
        }
    }
}
