import Foundation
import KeyRotation
import Logging
import Testing

struct DeliveringPublisherTests {
    /// A hook runner whose outcomes are scripted, recording what each run was given.
    private actor ScriptedHooks: HookRunner {
        private(set) var runs: [(program: String, environment: [String: String])] = []
        private var failures: Int

        init(failFirst failures: Int) { self.failures = failures }

        func run(_ hook: HookCommand, environment: [String: String], redacting: [String]) async -> HookResult {
            runs.append((hook.program, environment))
            if failures > 0 {
                failures -= 1
                return HookResult(termination: .exited(1), output: "consumer did not reload")
            }
            return HookResult(termination: .exited(0))
        }

        func failNext(_ count: Int) { failures = count }
    }

    private let policy = RotationPolicy(
        strategy: .full,
        every: .seconds(3600),
        grace: .seconds(300),
        retryInitial: .seconds(10),
        retryMax: .seconds(60)
    )

    private func rotator(_ azure: FakeAzure, _ hooks: ScriptedHooks, clock: ManualClock) throws -> ResourceRotator {
        let hooked = DeliveringPublisher(
            inner: FakeFile(),
            hooks: [HookCommand(argv: ["/usr/bin/app-reload"], origin: "resource r"), HookCommand(argv: ["/usr/bin/notify"], origin: "[daemon]")],
            runner: hooks,
            resource: "r",
            file: "/var/lib/keyrotd/secrets/r.conn",
            logger: Logger(label: "test")
        )
        return try ResourceRotator(
            name: "r",
            recordID: ResourceID(subscription: "s", resourceGroup: "g", name: "r").path,
            policy: policy,
            provider: azure,
            publisher: hooked,
            environment: RotatorEnvironment(store: MemoryStore(), clock: clock, logger: Logger(label: "test"))
        )
    }

    @Test func theFullStrategyNeverRegeneratesThePrimaryBeforeTheSecondaryIsDelivered() async throws {
        let clock = ManualClock()
        let azure = FakeAzure()
        let hooks = ScriptedHooks(failFirst: 0)
        let rotator = try rotator(azure, hooks, clock: clock)
        var wake = await rotator.run()
        #expect(await hooks.runs.map(\.program) == ["/usr/bin/app-reload", "/usr/bin/notify"], "adoption delivers too, resource hook first")
        await hooks.failNext(3)
        await clock.advance(to: wake)
        wake = await rotator.run()
        #expect(await azure.regenerations == [.secondary])
        // Three failed deliveries, each retried after its backoff: the primary stays untouched
        // and no grace period starts while the secondary is not delivered.
        for _ in 0..<3 {
            #expect(await rotator.record.rotation?.phase == .publishing(slot: .secondary, final: false))
            #expect(await rotator.record.lastError?.contains("/usr/bin/app-reload") == true)
            await clock.advance(to: wake)
            wake = await rotator.run()
            #expect(await azure.regenerations == [.secondary])
        }
        guard case .grace(let until, .primary)? = await rotator.record.rotation?.phase else {
            Issue.record("expected grace after delivery, got \(await rotator.record.step)")
            return
        }
        #expect(until == clock.now().addingTimeInterval(300), "grace counts from the delivery, not from the file write")
        await clock.advance(to: until)
        _ = await rotator.run()
        #expect(await azure.regenerations == [.secondary, .primary])
        #expect(await rotator.record.step == .idle)
    }

    @Test func hooksAreToldNamesAndAFingerprintNeverTheKey() async throws {
        let clock = ManualClock()
        let azure = FakeAzure()
        let hooks = ScriptedHooks(failFirst: 0)
        _ = await (try rotator(azure, hooks, clock: clock)).run()
        let environment = try #require(await hooks.runs.first?.environment)
        #expect(environment["KEYROTD_RESOURCE"] == "r")
        #expect(environment["KEYROTD_FILE"] == "/var/lib/keyrotd/secrets/r.conn")
        #expect(environment["KEYROTD_KEY"] == "primary")
        #expect(environment["KEYROTD_STEP"] == "adopting")
        #expect(environment["KEYROTD_FINGERPRINT"] == KeyFingerprint(of: await azure.primary).value)
        let values = environment.values.joined(separator: "\n")
        let (primary, secondary) = (await azure.primary, await azure.secondary)
        #expect(!values.contains(primary) && !values.contains(secondary))
    }
}
