import Foundation
import KeyRotation
import Logging
import Testing

struct ConsumerConfirmationsTests {
    /// A check command whose verdicts are scripted.
    private actor ScriptedCheck: HookRunner {
        var confirms = false
        private(set) var askedFor: [String] = []
        func run(_ hook: HookCommand, environment: [String: String], redacting: [String]) async -> HookResult {
            askedFor.append(environment["KEYROTD_FINGERPRINT"] ?? "")
            return HookResult(termination: .exited(confirms ? 0 : 1))
        }
        func set(_ value: Bool) { confirms = value }
    }

    private let policy = RotationPolicy(
        strategy: .full,
        every: .seconds(600),
        grace: .seconds(300),
        retryInitial: .seconds(10),
        retryMax: .seconds(60)
    )

    @Test func theKeyConsumersLeaveLivesUntilTheyAllConfirmAndALateConfirmationRaisesTheAlarm() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("confirm-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ack = directory.appendingPathComponent("app.ack").path
        let check = ScriptedCheck()
        let clock = ManualClock()
        let azure = FakeAzure()
        let rotator = try ResourceRotator(
            name: "r",
            resourceID: ResourceID(subscription: "s", resourceGroup: "g", name: "r"),
            policy: policy,
            provider: azure,
            publisher: FakeFile(),
            confirmations: ConsumerConfirmations(
                ackFiles: [ack],
                command: HookCommand(argv: ["/usr/bin/check-app"], origin: "resource r"),
                timeout: .seconds(900),
                runner: check
            ),
            store: MemoryStore(),
            clock: clock,
            logger: Logger(label: "test")
        )
        // Adopted: the primary is published; the secondary may be regenerated once consumers confirm the primary.
        var wake = await rotator.run()
        await clock.advance(to: wake)
        wake = await rotator.run()
        #expect(await azure.regenerations == [], "nobody confirmed the primary yet")
        #expect(wake == clock.now().addingTimeInterval(5), "asked again in a few seconds")
        let primary = try #require(await rotator.record.publishedKey)
        try (primary.value + "\n").write(toFile: ack, atomically: true, encoding: .utf8)
        await check.set(true)
        await clock.advance(to: wake)
        wake = await rotator.run()
        #expect(await azure.regenerations == [.secondary])
        #expect(await check.askedFor.last == primary.value)

        // Grace passes, but the consumers only confirm the new secondary after the timeout.
        await check.set(false)
        await clock.advance(by: .seconds(300))
        wake = await rotator.run()
        #expect(await azure.regenerations == [.secondary], "the primary stays alive while they have not confirmed")
        #expect(await rotator.record.consecutiveFailures == 0, "no alarm before the timeout")
        await clock.advance(by: .seconds(600))
        wake = await rotator.run()
        let record = await rotator.record
        #expect(record.consecutiveFailures == 1, "the alarm")
        #expect(record.lastError?.contains("have not confirmed loading the secondary key") == true)
        #expect(record.lastError?.contains(ack) == true && record.lastError?.contains("/usr/bin/check-app") == true)
        #expect(await azure.regenerations == [.secondary])
        let secondary = try #require(record.publishedKey)
        try secondary.value.write(toFile: ack, atomically: true, encoding: .utf8)
        await check.set(true)
        await clock.advance(to: wake)
        _ = await rotator.run()
        #expect(await azure.regenerations == [.secondary, .primary])
        #expect(await rotator.record.consecutiveFailures == 0)
    }

    @Test func anAckFileWithAnotherFingerprintIsNotAConfirmation() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ack-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let confirmations = ConsumerConfirmations(ackFiles: [path], command: nil, timeout: .seconds(60), runner: ScriptedCheck())
        let fingerprint = KeyFingerprint(of: "new-key")
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == [path], "missing file")
        try KeyFingerprint(of: "old-key").value.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == [path])
        try fingerprint.value.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary).isEmpty)
    }

    /// Followers whose confirmations are scripted: a set per fingerprint, or a vault that does not answer.
    private actor ScriptedFollowers: FollowerConfirmationSource {
        struct Unreachable: Error, CustomStringConvertible {
            var description: String { "connection refused" }
        }
        var confirmed: [KeyFingerprint: Set<String>] = [:]
        var reachable = true
        func followers(confirming fingerprint: KeyFingerprint) async throws -> Set<String> {
            guard reachable else { throw Unreachable() }
            return confirmed[fingerprint] ?? []
        }
        func confirm(_ name: String, _ fingerprint: KeyFingerprint) { confirmed[fingerprint, default: []].insert(name) }
        func set(reachable: Bool) { self.reachable = reachable }
    }

    @Test func everyNamedFollowerMustConfirmThePublishedKeyAndAnUnreadableVaultConfirmsNobody() async throws {
        let source = ScriptedFollowers()
        let confirmations = ConsumerConfirmations(
            ackFiles: [],
            command: nil,
            followers: ["web-1", "web-2"],
            timeout: .seconds(60),
            runner: ScriptedCheck(),
            followerSource: source
        )
        let fingerprint = KeyFingerprint(of: "new-key")
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == ["follower web-1", "follower web-2"])
        await source.confirm("web-2", fingerprint)
        await source.confirm("web-1", KeyFingerprint(of: "old-key"))
        await source.confirm("web-3", fingerprint)
        #expect(
            await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == ["follower web-1"],
            "the old key's confirmation and an unnamed follower's count for nothing"
        )
        await source.confirm("Web-1", fingerprint)
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary).isEmpty, "names are compared without case")
        await source.set(reachable: false)
        let missing = await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary)
        #expect(missing.count == 2 && missing.allSatisfy { $0.contains("the vault did not answer: connection refused") }, "\(missing)")
    }
}
