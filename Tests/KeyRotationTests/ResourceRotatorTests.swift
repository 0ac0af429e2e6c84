import Foundation
import KeyRotation
import Logging
import Testing

struct ResourceRotatorTests {
    private let policy = RotationPolicy(
        strategy: .alternate,
        every: .seconds(3600),
        grace: .seconds(300),
        retryInitial: .seconds(10),
        retryMax: .seconds(60)
    )

    private func rotator(_ azure: FakeAzure, _ file: FakeFile, _ store: MemoryStore, _ clock: ManualClock) throws -> ResourceRotator {
        try ResourceRotator(
            name: "r",
            resourceID: ResourceID(subscription: "s", resourceGroup: "g", name: "r", type: .signalR),
            policy: policy,
            provider: azure,
            publisher: file,
            store: store,
            clock: clock,
            logger: Logger(label: "test")
        )
    }

    /// A process killed while ARM runs a regeneration in the background: the operation is in the
    /// record before the first poll, and the next process follows it instead of asking again; the
    /// key it publishes is the one the operation made.
    @Test func aLongRunningRegenerationSurvivesACrashWhilePolling() async throws {
        let clock = ManualClock()
        let azure = FakeAzure()
        let file = FakeFile()
        let store = MemoryStore()
        let first = try rotator(azure, file, store, clock)
        let due = await first.run()
        await azure.setLongRunning(true, crashAfterAccepting: true)
        await clock.advance(to: due)
        _ = await first.run()
        let stored = try #require(try store.load("r"))
        #expect(stored.step == .regenerating(slot: .secondary, final: true))
        let operation = try #require(stored.pendingOperation, "journaled before polling")
        #expect(await azure.accepted == [operation])
        #expect(await file.material?.slot == .primary, "nothing published from an unfinished operation")

        let second = try rotator(azure, file, store, clock)
        _ = await second.run()
        #expect(await azure.resumed == [operation], "the journaled operation is followed")
        #expect(await azure.regenerations == [.secondary], "and not asked for again")
        #expect(await file.material?.slot == .secondary)
        #expect(await file.material?.key.exposedValue == azure.key(.secondary))
        #expect(await second.record.pendingOperation == nil)
        #expect(await second.record.step == .idle)
    }

    /// An operation ARM no longer knows is asked for again: the key is still not published.
    @Test func aLostOperationIsAskedForAgain() async throws {
        let clock = ManualClock()
        let azure = FakeAzure()
        let file = FakeFile()
        let store = MemoryStore()
        let first = try rotator(azure, file, store, clock)
        let due = await first.run()
        await azure.setLongRunning(true, crashAfterAccepting: true, resumedOutcome: .lost)
        await clock.advance(to: due)
        _ = await first.run()
        await azure.setLongRunning(false)
        await azure.setResumedOutcome(.lost)
        let second = try rotator(azure, file, store, clock)
        _ = await second.run()
        #expect(await azure.resumed.count == 1)
        #expect(await azure.regenerations == [.secondary, .secondary])
        #expect(await file.material?.key.exposedValue == azure.key(.secondary))
    }
}
