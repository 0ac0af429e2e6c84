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
                        resourceID: id,
                        policy: policy,
                        provider: azure,
                        publisher: file,
                        store: store,
                        clock: clock,
                        logger: Logger(label: "test"),
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

    @Test func theSummaryCarriesTheFollowersAndAFollowerOnlyHostSpeaksOfThemAlone() async throws {
        let one = try Fixture(resources: 1)
        let scheduler = one.scheduler(concurrency: 1)
        await scheduler.setFollowers("1 of 2 followers failing")
        #expect(await scheduler.summary.hasPrefix("1 resource"))
        #expect(await scheduler.summary.hasSuffix("; 1 of 2 followers failing"))
        await scheduler.setFollowers(nil)
        #expect(await !scheduler.summary.contains("follower"))

        let followerOnly = try Fixture(resources: 0).scheduler(concurrency: 1)
        #expect(await followerOnly.summary == "0 resources; no failures")
        await followerOnly.setFollowers("2 followers current")
        await followerOnly.setNote("reload rejected")
        #expect(await followerOnly.summary == "reload rejected; 2 followers current")
    }

    /// READY=1 carries the summary as it is when it is sent: a follower-only host once announced
    /// "0 resources" after its followers' status had gone out, and `systemctl status` kept that.
    @Test func readyCarriesTheSummaryOfTheMomentItIsSent() async throws {
        let notifier = RecordingNotifier()
        let scheduler = try Fixture(resources: 0).scheduler(concurrency: 1, notifier: notifier)
        await scheduler.setFollowers("1 follower current")
        await scheduler.announceReady()
        #expect(notifier.messages.withLock { $0 }.last == "READY: 1 follower current")
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
            resourceID: ResourceID(subscription: "s", resourceGroup: "g", name: "r0"),
            policy: fixture.policy,
            provider: hanging,
            publisher: fixture.files[0],
            store: fixture.store,
            clock: fixture.clock,
            logger: Logger(label: "test")
        )
        await scheduler.replace(rotators: [stuck])
        await scheduler.waitUntilQuiet()
        await scheduler.requestRotation(of: ["r0"])
        await hanging.waitUntilCalled()
        // The configuration changes again while ARM hangs: the step is cancelled, and a new rotator,
        // built from the stored record as the daemon builds it, resumes the recorded step.
        let resumed = try ResourceRotator(
            name: "r0",
            resourceID: ResourceID(subscription: "s", resourceGroup: "g", name: "r0"),
            policy: fixture.policy,
            provider: fixture.azures[0],
            publisher: fixture.files[0],
            store: fixture.store,
            clock: fixture.clock,
            logger: Logger(label: "test")
        )
        #expect(await resumed.record.step == .regenerating(slot: .secondary, final: false))
        await scheduler.replace(rotators: [resumed])
        await scheduler.waitUntilQuiet()
        #expect(await hanging.cancelled)
        #expect(await fixture.azures[0].regenerations == [.secondary])
        #expect(await resumed.record.step == .grace(until: fixture.clock.now().addingTimeInterval(300), regenerate: .primary))
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
    let messages = Mutex<[String]>([])
    func ready(status: String) { messages.withLock { $0.append("READY: " + status) } }
    func status(_ text: String) { messages.withLock { $0.append("STATUS: " + text) } }
    func heartbeat() {}
    func stopping() {}
}
