import Foundation
import KeyRotation
import Logging
import Synchronization
import Testing

struct RotationSchedulerTests {
    private struct Fixture {
        let clock = ManualClock()
        let store = MemoryStore()
        let probe = ConcurrencyProbe()
        var azures: [FakeAzure] = []
        var files: [FakeFile] = []
        var rotators: [ResourceRotator] = []
        let policy = RotationPolicy(
            strategy: .full,
            every: .seconds(3600),
            grace: .seconds(300),
            jitter: .seconds(60),
            retryInitial: .seconds(10),
            retryMax: .seconds(60)
        )

        init(resources: Int, seedRecords: ((Int) -> ResourceState?)? = nil) throws {
            for i in 0..<resources {
                let azure = FakeAzure(probe: probe)
                let file = FakeFile()
                let id = ResourceID(subscription: "s", resourceGroup: "g", name: "r\(i)")
                if let record = seedRecords?(i) { try store.save(record, for: "r\(i)") }
                rotators.append(
                    try ResourceRotator(
                        name: "r\(i)",
                        recordID: id.path,
                        policy: policy,
                        provider: azure,
                        publisher: file,
                        environment: RotatorEnvironment(store: store, clock: clock, logger: Logger(label: "test")),
                        random: SplitMix64(seed: UInt64(i))
                    )
                )
                azures.append(azure)
                files.append(file)
            }
        }

        func scheduler(
            concurrency: Int,
            maximumSleep: Duration? = nil,
            notifier: any DaemonNotifier = SilentNotifier(),
            onIdle: @escaping @Sendable () -> Void = {}
        ) -> RotationScheduler {
            RotationScheduler(
                rotators: rotators,
                clock: clock,
                concurrency: concurrency,
                notifier: notifier,
                logger: Logger(label: "test"),
                maximumSleep: maximumSleep,
                onIdle: onIdle
            )
        }
    }

    /// The scheduler reports facts (how many, how many failing, which next); composing and pacing
    /// `STATUS=` is the notifier's.
    @Test func reportsTheResourcesSummaryAfterEachStep() async throws {
        let notifier = RecordingNotifier()
        let fixture = try Fixture(resources: 2)
        let scheduler = fixture.scheduler(concurrency: 1, notifier: notifier)
        #expect(notifier.summaries.withLock { $0 } == [ResourceSummary(count: 2, failing: 0, next: nil)], "known before the first step")
        let run = Task { try await scheduler.run() }
        await scheduler.waitUntilQuiet()
        let last = try #require(notifier.summaries.withLock { $0 }.last)
        let records = try ["r0", "r1"].compactMap { try fixture.store.load($0) }
        #expect(records.count == 2, "both adopted")
        let first = try #require(records.min { $0.nextDue < $1.nextDue })
        #expect(last.count == 2 && last.failing == 0)
        #expect(last.next?.at == first.nextDue, "the next due rotation")
        await scheduler.stop()
        try await run.value
    }

    @Test func fallsIdleOnceAfterWorkEvenWithWatchdogWakeUps() async throws {
        let fixture = try Fixture(resources: 3)
        let idles = Counter()
        let scheduler = fixture.scheduler(concurrency: 2, maximumSleep: .seconds(5), onIdle: { idles.increment() })
        let run = Task { try await scheduler.run() }
        await scheduler.waitUntilQuiet()
        // Adoption done, the next rotation an hour away: idle once, not at every watchdog wake-up.
        for _ in 0..<4 { await fixture.clock.advance(by: .seconds(5)) }
        await scheduler.waitUntilQuiet()
        #expect(idles.value == 1)
        await scheduler.stop()
        try await run.value
    }

    /// A reload that changes nothing runs no step, but the old configuration's memory is garbage.
    @Test(.timeLimit(.minutes(1))) func fallsIdleAgainAfterAReloadThatRunsNoStep() async throws {
        let fixture = try Fixture(resources: 3)
        let (idles, idle) = AsyncStream<Void>.makeStream()
        let scheduler = fixture.scheduler(concurrency: 2, onIdle: { idle.yield() })
        let run = Task { try await scheduler.run() }
        var events = idles.makeAsyncIterator()
        await events.next()  // adoption done, the next rotation an hour away
        await scheduler.replace(rotators: fixture.rotators)
        await events.next()  // without the reload's trim this never comes, and the time limit fails the test
        await scheduler.stop()
        try await run.value
    }

    @Test func adoptsThenRotatesEveryResourceOnScheduleWithBoundedConcurrency() async throws {
        let fixture = try Fixture(resources: 6)
        let scheduler = fixture.scheduler(concurrency: 2)
        let run = Task { try await scheduler.run() }
        await scheduler.waitUntilQuiet()
        for (file, azure) in zip(fixture.files, fixture.azures) {
            #expect(await file.material?.key.exposedValue == azure.primary)
        }
        await fixture.clock.advance(by: .seconds(3600 + 60))
        await scheduler.waitUntilQuiet()
        for (file, azure) in zip(fixture.files, fixture.azures) {
            #expect(await file.material?.slot == .secondary)
            #expect(await azure.regenerations == [.secondary])
        }
        await fixture.clock.advance(by: .seconds(300))
        await scheduler.waitUntilQuiet()
        for (file, azure) in zip(fixture.files, fixture.azures) {
            #expect(await file.material?.key.exposedValue == azure.primary)
            #expect(await azure.regenerations == [.secondary, .primary])
        }
        #expect(await fixture.probe.maximum <= 2)
        await scheduler.stop()
        try await run.value
    }

    @Test func catchesUpAfterDowntime() async throws {
        // The records say every resource was due a week ago: the machine was off.
        let start = ManualClock().now()
        let fixture = try Fixture(resources: 3) { i in
            var record = ResourceState(
                resourceID: ResourceID(subscription: "s", resourceGroup: "g", name: "r\(i)").path,
                adoptedAt: start.addingTimeInterval(-30 * 86_400)
            )
            record.step = .idle
            record.setUnpublished(.primary, at: nil)
            record.nextDue = start.addingTimeInterval(-7 * 86_400)
            return record
        }
        let scheduler = fixture.scheduler(concurrency: 4)
        let run = Task { try await scheduler.run() }
        await scheduler.waitUntilQuiet()
        for azure in fixture.azures {
            // The fake file starts empty, so it is first repaired from listKeys; then the overdue rotation begins at once.
            #expect(await azure.listCalls == 1)
            #expect(await azure.regenerations == [.secondary])
        }
        await scheduler.stop()
        try await run.value
    }

    @Test func failuresAreRetriedWithBackoffNotDropped() async throws {
        let fixture = try Fixture(resources: 1)
        let scheduler = fixture.scheduler(concurrency: 1)
        let run = Task { try await scheduler.run() }
        await scheduler.waitUntilQuiet()
        await fixture.azures[0].setFailNext(3)
        await fixture.clock.advance(by: .seconds(3660))
        await scheduler.waitUntilQuiet()
        var record = await fixture.rotators[0].record
        #expect(record.consecutiveFailures == 1)
        #expect(record.lastError == "injected failure")
        for _ in 0..<6 {
            await fixture.clock.advance(by: .seconds(400))
            await scheduler.waitUntilQuiet()
        }
        record = await fixture.rotators[0].record
        #expect(record.consecutiveFailures == 0)
        #expect(record.rotations == 1)
        #expect(await fixture.azures[0].regenerations == [.secondary, .primary])
        await scheduler.stop()
        try await run.value
    }

    /// A reload that changes a resource cancels its step in flight (here an ARM call that never
    /// answers) at once; the new rotator resumes the recorded step.
    @Test(.timeLimit(.minutes(1))) func aReloadCancelsTheRunningStepOfAChangedResource() async throws {
        let fixture = try Fixture(resources: 1)
        let scheduler = fixture.scheduler(concurrency: 1)
        let run = Task { try await scheduler.run() }
        await scheduler.waitUntilQuiet()
        await fixture.clock.advance(by: .seconds(600))
        let hanging = HangingAzure()
        let stuck = try ResourceRotator(
            name: "r0",
            recordID: ResourceID(subscription: "s", resourceGroup: "g", name: "r0").path,
            policy: fixture.policy,
            provider: hanging,
            publisher: fixture.files[0],
            environment: RotatorEnvironment(store: fixture.store, clock: fixture.clock, logger: Logger(label: "test"))
        )
        await scheduler.replace(rotators: [stuck])
        await scheduler.waitUntilQuiet()
        await scheduler.requestRotation(of: ["r0"])
        await hanging.waitUntilCalled()
        // The configuration changes again while ARM hangs: the step is cancelled, and a new rotator,
        // built from the stored record as the daemon builds it, resumes the recorded step.
        let resumed = try ResourceRotator(
            name: "r0",
            recordID: ResourceID(subscription: "s", resourceGroup: "g", name: "r0").path,
            policy: fixture.policy,
            provider: fixture.azures[0],
            publisher: fixture.files[0],
            environment: RotatorEnvironment(store: fixture.store, clock: fixture.clock, logger: Logger(label: "test"))
        )
        #expect(await resumed.record.rotation?.phase == .regenerating(Regeneration(slot: .secondary, final: false)))
        await scheduler.replace(rotators: [resumed])
        await scheduler.waitUntilQuiet()
        #expect(await hanging.cancelled)
        #expect(await fixture.azures[0].regenerations == [.secondary])
        #expect(await resumed.record.rotation?.phase == .grace(until: fixture.clock.now().addingTimeInterval(300), then: .primary))
        await scheduler.stop()
        try await run.value
    }

    @Test func onDemandRotationStartsAtOnce() async throws {
        let fixture = try Fixture(resources: 2)
        let scheduler = fixture.scheduler(concurrency: 2)
        let run = Task { try await scheduler.run() }
        await scheduler.waitUntilQuiet()
        await fixture.clock.advance(by: .seconds(600))  // past the adoption grace
        #expect(await scheduler.requestRotation(of: ["r1", "nope"]) == ["nope"])
        await scheduler.waitUntilQuiet()
        #expect(await fixture.azures[1].regenerations == [.secondary])
        #expect(await fixture.azures[0].regenerations == [])
        await scheduler.stop()
        try await run.value
    }
}

/// A thread-safe counter for callbacks.
final class Counter: Sendable {
    private let count = Mutex(0)
    func increment() { count.withLock { $0 += 1 } }
    var value: Int { count.withLock { $0 } }
}

/// Records what the scheduler tells the service manager.
private final class RecordingNotifier: DaemonNotifier {
    let summaries = Mutex<[ResourceSummary]>([])
    func resourcesChanged(_ summary: ResourceSummary) { summaries.withLock { $0.append(summary) } }
    func heartbeat() {}
    func stopping() {}
}
