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
            recordID: ResourceID(subscription: "s", resourceGroup: "g", name: "r", type: .signalR).path,
            policy: policy,
            provider: azure,
            publisher: file,
            environment: RotatorEnvironment(store: store, clock: clock, logger: Logger(label: "test"))
        )
    }

    /// A guard that refuses (this node no longer leads its group) stops the step before the
    /// regeneration: nothing changes in Azure, the step fails with `not-leader` and is retried.
    @Test func aRefusingGuardStopsTheStepBeforeAnyChange() async throws {
        actor Permits: MutationGuard {
            var leading = true
            private(set) var asked = 0
            func set(leading: Bool) { self.leading = leading }
            func permit(within horizon: Duration) throws {
                asked += 1
                guard leading else { throw NotLeader(node: "node-a") }
            }
        }
        let clock = ManualClock()
        let azure = FakeAzure()
        let file = FakeFile()
        let store = MemoryStore()
        let permits = Permits()
        let rotator = try ResourceRotator(
            name: "r",
            recordID: ResourceID(subscription: "s", resourceGroup: "g", name: "r", type: .signalR).path,
            policy: policy,
            provider: azure,
            publisher: file,
            environment: RotatorEnvironment(store: store, clock: clock, logger: Logger(label: "test"), mutationGuard: permits)
        )
        let due = await rotator.run()
        #expect(await file.writes == 1)
        #expect(await permits.asked == 1)
        await permits.set(leading: false)
        await clock.advance(to: due)
        let retry = await rotator.run()
        #expect(await azure.regenerations.isEmpty)
        #expect(await file.writes == 1)
        let record = try #require(try store.load("r"))
        #expect(record.retry?.lastError.code == "not-leader")
        await permits.set(leading: true)
        await clock.advance(to: retry)
        _ = await rotator.run()
        #expect(await azure.regenerations == [.secondary])
    }

    /// A leader's rotator resumes from the record its group's journal held, saves through the
    /// journal, and stops when the journal refuses (a newer leader took it over).
    @Test func aLeadersRotatorKeepsItsRecordInTheGroupsJournal() async throws {
        let clock = ManualClock()
        let azure = FakeAzure()
        let file = FakeFile()
        let journal = FakeJournal()
        func rotator() async throws -> ResourceRotator {
            let store = JournalStateStore(snapshot: await journal.takeOver(leaseID: "l", node: "a", resources: ["r"]), journal: journal)
            return try ResourceRotator(
                name: "r",
                recordID: ResourceID(subscription: "s", resourceGroup: "g", name: "r", type: .signalR).path,
                policy: policy,
                provider: azure,
                publisher: file,
                environment: RotatorEnvironment(store: store, clock: clock, logger: Logger(label: "test"))
            )
        }
        let due = try await rotator().run()
        let adopted = try #require(await journal.saved["r"])
        // The next leader's rotator starts from the journal's record: no adoption again.
        let next = try await rotator()
        #expect(await next.record == adopted)
        await journal.fence()
        await clock.advance(to: due)
        _ = await next.run()
        #expect(await azure.regenerations.isEmpty)
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
        #expect(stored.rotation?.regeneration?.slot == .secondary && stored.rotation?.regeneration?.final == true)
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

    /// The rotator carries the machine's question to the consumers: the check command is asked
    /// about the published key's fingerprint, and the regeneration waits until it confirms.
    @Test func theListedConsumersAreAskedAboutThePublishedKeyBeforeARegeneration() async throws {
        let clock = ManualClock()
        let azure = FakeAzure()
        let check = ScriptedCheck()
        var policy = policy
        policy.consumers = .init(names: ["/usr/bin/check-app"], timeout: .seconds(86_400))
        let rotator = try ResourceRotator(
            name: "r",
            recordID: ResourceID(subscription: "s", resourceGroup: "g", name: "r").path,
            policy: policy,
            provider: azure,
            publisher: FakeFile(),
            confirmations: ConsumerConfirmations(
                ackFiles: [],
                command: HookCommand(argv: ["/usr/bin/check-app"], origin: "resource r"),
                runner: check
            ),
            environment: RotatorEnvironment(store: MemoryStore(), clock: clock, logger: Logger(label: "test"))
        )
        var wake = await rotator.run()
        await clock.advance(to: wake)
        wake = await rotator.run()
        let primary = try #require(await rotator.record.publishedKey)
        #expect(await check.askedFor == [primary.value])
        #expect(await azure.regenerations == [], "nobody confirmed the primary yet")
        #expect(wake == clock.now().addingTimeInterval(5), "asked again in a few seconds")
        #expect(await rotator.waitReason() == .consumersUnconfirmed(["/usr/bin/check-app"], slot: .secondary))
        await check.set(true)
        await clock.advance(to: wake)
        _ = await rotator.run()
        #expect(await azure.regenerations == [.secondary])
    }
}
