import Foundation
import Logging
import ServiceLifecycle
import Synchronization
import Testing

@testable import KeyRotation

/// A ``BootClock`` on the manual clock: boot time is the manual time's seconds since 1970.
struct ManualBootClock: BootClock {
    let wall = ManualClock(start: Date(timeIntervalSince1970: 0))

    func now() -> BootInstant { BootInstant(seconds: wall.now().timeIntervalSince1970) }
    func sleep(until deadline: BootInstant) async throws { try await wall.sleep(until: Date(timeIntervalSince1970: deadline.seconds)) }
    func advance(by duration: Duration) async { await wall.advance(by: duration) }
}

/// One lease shared by the nodes of a test, timed on the manual clock as the service times it.
actor FakeLease {
    private(set) var holder: (id: String, node: String, expires: BootInstant)?
    let clock: ManualBootClock
    /// Renewals that hang until cancelled.
    var hangRenewals = false
    /// Renewals that fail as a 5xx would.
    var failRenewals = false
    /// Reads that fail as unreachable storage would.
    var failReads = false
    private(set) var releases = 0

    init(clock: ManualBootClock) { self.clock = clock }

    func set(hang: Bool? = nil, fail: Bool? = nil, failReads: Bool? = nil) {
        if let hang { hangRenewals = hang }
        if let fail { failRenewals = fail }
        if let failReads { self.failReads = failReads }
    }

    /// What a failing call throws.
    struct Unavailable: Error {}

    var current: (id: String, node: String)? {
        guard let holder, clock.now() < holder.expires else { return nil }
        return (holder.id, holder.node)
    }

    func acquire(_ proposed: String, node: String, duration: Duration) throws -> String {
        if let current, current.id != proposed { throw LeaseConflict(code: "LeaseAlreadyPresent", description: "held") }
        holder = (proposed, node, clock.now() + duration)
        return proposed
    }

    func renew(_ id: String, duration: Duration) throws {
        if failRenewals { throw Unavailable() }
        guard let holder, holder.id == id, current?.id == id || current == nil else {
            throw LeaseConflict(code: "LeaseIdMismatchWithLeaseOperation", description: "not yours")
        }
        self.holder = (id, holder.node, clock.now() + duration)
    }

    func release(_ id: String) {
        if holder?.id == id { holder = nil }
        releases += 1
    }

    /// One node's view of the lease.
    struct Node: LeaseBackend {
        let lease: FakeLease
        let name: String
        let duration: Duration

        func observe() async throws -> LeaderElection.Observation {
            if await lease.failReads { throw FakeLease.Unavailable() }
            guard let current = await lease.current else { return .free }
            return .held(by: current.node)
        }

        func acquire(proposedID: String, duration: Duration) async throws -> String {
            try await lease.acquire(proposedID, node: name, duration: duration)
        }

        func renew(id: String) async throws {
            if await lease.hangRenewals {
                try await lease.clock.sleep(until: BootInstant(seconds: 1e9))
            }
            try await lease.renew(id, duration: duration)
        }

        func release(id: String) async throws { await lease.release(id) }
    }
}

/// The coordinator: exactly one of several nodes leads, a clean stop hands over, a hung renewal
/// cannot keep a leader past its trust, and a group without a leader raises the alarm once.
struct LeaderCoordinatorTests {
    static let timing = LeaseTiming(duration: .seconds(15))

    static func coordinator(
        _ name: String,
        _ lease: FakeLease,
        _ clock: ManualBootClock,
        seed: UInt64,
        logger: Logger = Logger(label: "test"),
        onStatus: @escaping @Sendable (GroupStatus) -> Void = { _ in }
    ) -> LeaderCoordinator {
        LeaderCoordinator(
            group: "test-group",
            node: name,
            election: LeaderElection(timing: timing, now: clock.now(), random: SplitMix64(seed: seed)),
            backend: FakeLease.Node(lease: lease, name: name, duration: timing.duration),
            clock: clock,
            logger: logger,
            onStatus: onStatus
        )
    }

    /// Yields until `condition` holds (the coordinators run on other tasks); fails after many turns.
    static func eventually(_ what: String, _ condition: () async -> Bool) async throws {
        for _ in 0..<20_000 {
            if await condition() { return }
            await Task.yield()
        }
        Issue.record("never: \(what)")
        throw CancellationError()
    }

    /// Moves time by `seconds`, one second at a time, letting every node finish what each second
    /// brings (`inFlight`: how many calls may hang) before the next.
    static func pass(_ seconds: Int, _ clock: ManualBootClock, _ nodes: [LeaderCoordinator], inFlight: Int = 0) async throws {
        try await settle(nodes, inFlight: inFlight)
        for _ in 0..<seconds {
            await clock.advance(by: .seconds(1))
            try await settle(nodes, inFlight: inFlight)
        }
    }

    static func settle(_ nodes: [LeaderCoordinator], inFlight: Int = 0) async throws {
        try await eventually("the nodes wait") {
            for node in nodes where await !node.isWaiting(inFlight: inFlight) { return false }
            return true
        }
    }

    static func leaders(_ nodes: [LeaderCoordinator]) async -> [String] {
        var names: [String] = []
        for node in nodes where await node.holds(for: .zero) { names.append(node.node) }
        return names
    }

    @Test func oneOfThreeLeadsAndACleanStopHandsOver() async throws {
        let clock = ManualBootClock()
        let lease = FakeLease(clock: clock)
        let nodes = ["a", "b", "c"].enumerated().map { Self.coordinator($1, lease, clock, seed: UInt64($0)) }
        let runs = nodes.map { node in Task { try await node.run() } }
        try await Self.pass(0, clock, nodes)
        let first = await Self.leaders(nodes)
        #expect(first.count == 1)
        // A minute of renewals: still the same single leader.
        try await Self.pass(60, clock, nodes)
        #expect(await Self.leaders(nodes) == first)
        let leader = try #require(nodes.first { $0.node == first.first })
        for node in nodes where node !== leader {
            let role = await node.role()
            #expect(role == .standby(leader: leader.node))
        }
        // A clean stop releases the lease: another node leads at its next read, well before the lease's end.
        await leader.stop()
        try await Self.eventually("the lease is released") { await lease.releases == 1 }
        let others = nodes.filter { $0 !== leader }
        try await Self.pass(6, clock, others)
        let next = await Self.leaders(others)
        #expect(next.count == 1 && next != first)
        for node in nodes { await node.stop() }
        for run in runs { try await run.value }
    }

    /// The renewal hangs; the leader still steps down when its trust ends, and the lease goes to
    /// another node once it expires.
    @Test func aHungRenewalCannotKeepALeaderPastItsTrust() async throws {
        let clock = ManualBootClock()
        let lease = FakeLease(clock: clock)
        let a = Self.coordinator("a", lease, clock, seed: 1)
        let runA = Task { try await a.run() }
        try await Self.pass(0, clock, [a])
        #expect(await a.holds(for: .zero))
        let b = Self.coordinator("b", lease, clock, seed: 2)
        let runB = Task { try await b.run() }
        try await Self.pass(0, clock, [a, b])
        #expect(await b.role() == .standby(leader: "a"))
        await lease.set(hang: true)
        // The renewal goes out at 3.75 s and hangs; trust ends 10 s after the acquisition's send time.
        try await Self.pass(3, clock, [a, b])
        try await Self.pass(6, clock, [a, b], inFlight: 1)
        #expect(await a.holds(for: .zero))
        try await Self.pass(1, clock, [a, b], inFlight: 1)
        #expect(await !a.holds(for: .zero))
        // The lease expires at 15 s; b (or a) takes it at its next read.
        try await Self.pass(10, clock, [a, b], inFlight: 1)
        #expect(await Self.leaders([a, b]).count == 1)
        await a.stop()
        await b.stop()
        try await runA.value
        try await runB.value
    }

    @Test func failingRenewalsAreRetriedUntilTheTrustEndsThenTheLeaderStepsDown() async throws {
        let clock = ManualBootClock()
        let lease = FakeLease(clock: clock)
        let records = LogRecords()
        let a = Self.coordinator("a", lease, clock, seed: 1, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })
        let run = Task { try await a.run() }
        try await Self.pass(0, clock, [a])
        #expect(await a.holds(for: .zero))
        await lease.set(fail: true)
        try await Self.pass(10, clock, [a])
        #expect(await !a.holds(for: .zero))
        let messages = records.messages
        #expect(messages.contains { $0.contains("stopped leading the group (expired)") })
        // The first renewal is due at 3.75 s, sent when the clock reaches 4 s, then retried every
        // 2 s: at 4, 6 and 8 s; at 10 s the trust has ended and the leader steps down instead.
        #expect(messages.filter { $0.contains("renewing the group's lease failed") }.count == 3)
        // Once renewals work again, a leads again after its old lease ran out.
        await lease.set(fail: false)
        try await Self.pass(10, clock, [a])
        #expect(await a.holds(for: .zero))
        #expect(records.messages.filter { $0.contains("this node leads the group") }.count >= 2)
        await a.stop()
        try await run.value
    }

    /// The daemon hears each change of role; a leader that cannot take its journal over resigns:
    /// it releases the lease, and another node leads.
    @Test func changesAreAnnouncedAndAResigningLeaderHandsOver() async throws {
        let clock = ManualBootClock()
        let lease = FakeLease(clock: clock)
        let a = Self.coordinator("a", lease, clock, seed: 1)
        let b = Self.coordinator("b", lease, clock, seed: 2)
        var changes = a.changes.makeAsyncIterator()
        let runA = Task { try await a.run() }
        try await Self.pass(0, clock, [a])
        let runB = Task { try await b.run() }
        try await Self.pass(0, clock, [a, b])
        let elected = await changes.next()
        let id = try #require(await a.leaseID)
        #expect(elected == .elected(leaseID: id))
        await a.resign()
        #expect(await changes.next() == .steppedDown(.resigned))
        try await Self.eventually("the lease is released") { await lease.releases == 1 }
        try await Self.pass(6, clock, [a, b])
        #expect(await Self.leaders([a, b]) == ["b"])
        await a.stop()
        await b.stop()
        try await runA.value
        try await runB.value
        #expect(await changes.next() == nil, "the stream ends with the coordinator")
    }

    /// What `keyrotd status` and `STATUS=` show: the role, the leader's name on a standby, the
    /// epoch once the journal is taken over, and why a leader does not rotate yet; each new text
    /// is told once, and a `rotate` is refused everywhere but on a leader that rotates.
    @Test func statusNamesTheRoleTheLeaderAndTheEpoch() async throws {
        let clock = ManualBootClock()
        let lease = FakeLease(clock: clock)
        let told = LogRecords()
        let a = Self.coordinator("a", lease, clock, seed: 1) { told.append("a: " + $0.text) }
        let b = Self.coordinator("b", lease, clock, seed: 2) { told.append("b: " + $0.text) }
        let runA = Task { try await a.run() }
        try await Self.pass(0, clock, [a])
        let runB = Task { try await b.run() }
        try await Self.pass(0, clock, [a, b])
        let taking = await a.status()
        #expect(taking.role == .leader && taking.leader == "a" && taking.epoch == nil && !taking.rotating)
        #expect(taking.refusal?.contains("does not rotate yet (taking the journal over)") == true)
        await a.leading(epoch: 3, rotating: false, note: "quiet for 45s")
        #expect(await a.status().text == "leader a (epoch 3), quiet for 45s")
        await a.leading(epoch: 3, rotating: true, note: nil)
        let leading = await a.status()
        #expect(leading.text == "leader a (epoch 3)" && leading.refusal == nil)
        // A standby knows the leader from the lease's metadata; what it was told as a leader is ignored.
        await b.leading(epoch: 9, rotating: true, note: nil)
        let standby = await b.status()
        #expect(standby.role == .standby && standby.leader == "a" && standby.epoch == nil)
        #expect(standby.refusal == "this node (b) is a standby; the leader is a: run `keyrotd rotate` on it")
        // a stops cleanly (and says nothing more): b leads at its next read, without an epoch yet.
        await a.stop()
        try await runA.value
        try await Self.pass(6, clock, [b])
        #expect(await b.status().text == "leader b, taking the journal over")
        await b.stop()
        try await runB.value
        let messages = told.messages
        #expect(
            messages.prefix(6) == [
                "a: a: no leader seen, nothing is rotated", "a: leader a, taking the journal over", "b: b: no leader seen, nothing is rotated",
                "b: standby b; the leader is a", "a: leader a (epoch 3), quiet for 45s", "a: leader a (epoch 3)",
            ]
        )
        // Between the free lease and its acquisition b may or may not report having no leader.
        #expect(messages.dropFirst(6).filter { !$0.hasPrefix("b: b: no leader") } == ["b: leader b, taking the journal over"])
    }

    /// A leader whose coordinator cannot run (here: its timer never fires, as in a hung process)
    /// is seen, without waiting for the actor, to be past its trust: the watchdog stops its pings.
    @Test func renewalsOnTimeIsReadWithoutTheActorAndEndsWithTheTrust() async throws {
        /// Time the test sets; a sleep that only a stop ends.
        final class HeldClock: BootClock {
            let time = Mutex(BootInstant(seconds: 0))
            func now() -> BootInstant { time.withLock { $0 } }
            func sleep(until deadline: BootInstant) async throws { try await Task.sleep(for: .seconds(3600)) }
        }
        let clock = HeldClock()
        let lease = FakeLease(clock: ManualBootClock())
        let a = LeaderCoordinator(
            group: "test-group",
            node: "a",
            election: LeaderElection(timing: Self.timing, now: clock.now(), random: SplitMix64(seed: 1)),
            backend: FakeLease.Node(lease: lease, name: "a", duration: Self.timing.duration),
            clock: clock,
            logger: Logger(label: "test")
        )
        #expect(a.renewalsOnTime(), "a standby has nothing to renew")
        let run = Task { try await a.run() }
        try await Self.eventually("a leads and sleeps") {
            guard await a.holds(for: .zero) else { return false }
            return await a.isWaiting(inFlight: 0)
        }
        #expect(a.renewalsOnTime())
        // The trust ends 10 s after the acquisition's send; the loop, asleep, never sees it.
        clock.time.withLock { $0 = BootInstant(seconds: 10) }
        #expect(!a.renewalsOnTime())
        await a.stop()
        try await run.value
        #expect(a.renewalsOnTime(), "stepped down, nothing to renew")
    }

    @Test func unreachableStorageMeansNoLeaderAndOneAlarm() async throws {
        let clock = ManualBootClock()
        let lease = FakeLease(clock: clock)
        await lease.set(failReads: true)
        let records = LogRecords()
        let a = Self.coordinator("a", lease, clock, seed: 1, logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) })
        let run = Task { try await a.run() }
        try await Self.pass(60, clock, [a])
        let role = await a.role()
        #expect(role == .noLeader(since: BootInstant(seconds: 0)))
        #expect(await !a.holds(for: .zero))
        #expect(records.messages.filter { $0.contains("no node of the group is seen leading") }.count == 1)
        #expect(records.messages.filter { $0.contains("reading the group's lease failed") }.count > 10)
        await a.stop()
        try await run.value
    }
}

/// Log messages, recorded.
final class LogRecords: Sendable {
    private let box = Mutex<[String]>([])
    var messages: [String] { box.withLock { $0 } }
    func append(_ message: String) { box.withLock { $0.append(message) } }
}

/// A log handler that records each message.
struct RecordingLogHandler: LogHandler {
    let records: LogRecords
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    func log(event: LogEvent) { records.append(event.message.description) }
}
