import Foundation
import KeyRotation
import PropertyBased
import Testing

/// A simulated world around one ``RotationMachine``: Azure's two keys, the secret file, and crashes.
private struct World {
    var keys: [KeySlot: String] = [.primary: "p0", .secondary: "s0"]
    var file: (slot: KeySlot, key: String)?
    /// When the file last stopped holding each slot's key.
    var stoppedHolding: [KeySlot: Date] = [:]
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var violations: [String] = []
    var generation = 0
    /// The policy's maintenance windows: a regeneration outside them is a violation (no emergencies here).
    var windows: MaintenanceWindows?
    /// Whether the policy lists consumers: a regeneration before they confirmed the key in the file is a violation.
    var consumersListed = false
    /// The key the consumers last confirmed (they confirm what the file holds).
    var confirmed: String?

    func accessKeys(primary: Bool, secondary: Bool) -> AccessKeys {
        func key(_ k: String) -> AccessKey {
            AccessKey(value: Secret(k), connectionString: Secret("endpoint=https://x/;accesskey=\(k)"), endpoint: "https://x/", name: "k")
        }
        return AccessKeys(primary: primary ? key(keys[.primary]!) : nil, secondary: secondary ? key(keys[.secondary]!) : nil)
    }

    mutating func regenerate(_ slot: KeySlot, grace: Duration) {
        if let file, file.slot == slot, file.key == keys[slot] {
            violations.append("regenerated the published \(slot) key at \(now)")
        }
        if let stopped = stoppedHolding[slot], now.timeIntervalSince(stopped) < grace.seconds - 0.000_5 {
            violations.append("regenerated \(slot) \(now.timeIntervalSince(stopped))s after it stopped being published (grace \(grace))")
        }
        if let windows, !windows.contains(now) { violations.append("regenerated \(slot) outside the maintenance windows at \(now)") }
        if consumersListed, confirmed == nil || confirmed != file?.key {
            violations.append("regenerated \(slot) before the consumers confirmed the published key at \(now)")
        }
        generation += 1
        keys[slot] = "\(slot.rawValue.prefix(1))\(generation)"
    }

    mutating func publish(_ material: KeyMaterial) {
        if let old = file, old.slot != material.slot { stoppedHolding[old.slot] = now }
        file = (material.slot, material.key.exposedValue)
    }

    var fileIsValid: Bool { file.map { keys[$0.slot] == $0.key } ?? false }
}

struct RotationMachineTests {
    private func policy(_ strategy: RotationStrategy) -> RotationPolicy {
        RotationPolicy(
            strategy: strategy,
            every: .seconds(3600),
            grace: .seconds(300),
            jitter: .seconds(60),
            retryInitial: .seconds(5),
            retryMax: .seconds(60)
        )
    }

    /// A machine that has adopted the world's resource: the primary is published.
    private func adopted(_ strategy: RotationStrategy, _ world: inout World) throws -> RotationMachine {
        try adopted(policy(strategy), &world)
    }

    private func adopted(_ policy: RotationPolicy, _ world: inout World) throws -> RotationMachine {
        var machine = RotationMachine(record: nil, resourceID: "/x", policy: policy, now: world.now, random: SplitMix64(seed: 1))
        #expect(machine.resume(now: world.now, fileIntact: false) == .listKeys)
        let material = try #require(
            machine.listed(world.accessKeys(primary: true, secondary: true), now: world.now).publishedMaterial,
            "adoption must publish"
        )
        #expect(material.slot == .primary)
        world.publish(material)
        _ = machine.published(material, fileDigest: KeyFingerprint(of: material.key.exposedValue), now: world.now)
        return machine
    }

    @Test func fullRotationRegeneratesSecondaryThenPrimaryAfterGrace() throws {
        var world = World()
        var machine = try adopted(.full, &world)
        world.now = machine.record.nextDue
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.secondary))
        world.regenerate(.secondary, grace: .seconds(300))
        let second = try #require(
            machine.regenerated(.secondary, keys: world.accessKeys(primary: false, secondary: true), now: world.now).publishedMaterial,
            "a regenerated key is published from the response, without listKeys"
        )
        world.publish(second)
        let graceEnd = try #require(machine.published(second, fileDigest: KeyFingerprint(of: "g"), now: world.now).sleepUntil)
        #expect(graceEnd.timeIntervalSince(world.now) == 300)
        world.now = graceEnd
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.primary))
        world.regenerate(.primary, grace: .seconds(300))
        let third = try #require(
            machine.regenerated(.primary, keys: world.accessKeys(primary: true, secondary: false), now: world.now).publishedMaterial
        )
        world.publish(third)
        _ = machine.published(third, fileDigest: KeyFingerprint(of: "h"), now: world.now)
        #expect(machine.record.step == .idle)
        #expect(machine.record.published == .primary)
        #expect(machine.record.rotations == 1)
        #expect(world.violations.isEmpty)
        #expect(world.fileIsValid)
    }

    @Test func alternateRegeneratesOnlyTheStandby() throws {
        var world = World()
        var machine = try adopted(.alternate, &world)
        world.now = machine.record.nextDue
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.secondary))
        world.regenerate(.secondary, grace: .seconds(300))
        let n = try #require(
            machine.regenerated(.secondary, keys: world.accessKeys(primary: false, secondary: true), now: world.now).publishedMaterial
        )
        world.publish(n)
        _ = machine.published(n, fileDigest: KeyFingerprint(of: "b"), now: world.now)
        #expect(machine.record.step == .idle)
        #expect(machine.record.published == .secondary)
        #expect(world.keys[.primary] == "p0")
    }

    private func windowed(_ strategy: RotationStrategy, _ entries: [String], grace: Duration = .seconds(300)) throws -> RotationPolicy {
        var policy = RotationPolicy(strategy: strategy, every: .seconds(3600), grace: grace, jitter: .seconds(600), retryInitial: .seconds(5))
        policy.windows = try MaintenanceWindows(parsing: entries, zone: .utc)
        return policy
    }

    /// 2027-01-02 is a Saturday; `hours` after its midnight, UTC.
    private func saturday(_ hours: Double) -> Date { Date(timeIntervalSince1970: 1_798_848_000 + hours * 3600) }

    /// A rotation due on the weekend waits for Monday's window and starts inside it (jitter within
    /// the window); the wait is the status' reason.
    @Test func aDueRotationWaitsForTheWindowOpening() throws {
        var world = World()
        world.now = saturday(10)
        var machine = try adopted(.alternate, &world)
        machine.policy = try windowed(.alternate, ["Mon-Fri 09:00-17:00"])
        world.now = saturday(12)
        guard case .sleep(let start) = machine.resume(now: world.now, fileIntact: true, rotateNow: true) else {
            Issue.record("outside the window nothing may start")
            return
        }
        let monday = saturday(48 + 9)
        #expect(start >= monday && start <= monday.addingTimeInterval(600), "at Monday's opening plus jitter: \(start)")
        #expect(machine.waitReason(now: world.now) == .window(opensAt: start))
        #expect(machine.record.regenerations == 0 && machine.record.windowOpensAt == start, "nothing regenerated; the rotation waits for the window")
        world.now = start
        #expect(machine.resume(now: world.now, fileIntact: true, rotateNow: true) == .regenerate(.secondary))
        #expect(machine.record.windowOpensAt == nil)
    }

    /// `full`: when grace carries the second regeneration past the window's end, it waits for the
    /// next opening; an emergency waits for nothing.
    @Test func theSecondRegenerationWaitsForTheNextOpening() throws {
        var world = World()
        world.now = saturday(10)
        var machine = try adopted(.full, &world)
        machine.policy = try windowed(.full, ["Mon-Fri 09:00-10:00"], grace: .seconds(3600))
        world.now = saturday(48 + 9.75)
        #expect(machine.resume(now: world.now, fileIntact: true, rotateNow: true) == .regenerate(.secondary))
        world.regenerate(.secondary, grace: .seconds(3600))
        let standby = try #require(
            machine.regenerated(.secondary, keys: world.accessKeys(primary: false, secondary: true), now: world.now).publishedMaterial
        )
        world.publish(standby)
        guard case .sleep(let graceEnd) = machine.published(standby, fileDigest: KeyFingerprint(of: "s"), now: world.now) else {
            Issue.record("grace follows")
            return
        }
        world.now = graceEnd
        #expect(machine.resume(now: world.now, fileIntact: true) == .sleep(until: saturday(72 + 9)), "Tuesday 09:00")
        #expect(machine.waitReason(now: world.now) == .window(opensAt: saturday(72 + 9)))
        #expect(machine.resume(now: world.now, fileIntact: true, emergency: true) == .regenerate(.primary), "an emergency ignores windows")
        #expect(world.violations.isEmpty)
    }

    /// A long-running regeneration journaled before a crash is followed, not asked for again; one
    /// ARM forgot is asked for again (the key is still not published); one that failed is retried.
    @Test func aJournaledRegenerationIsFollowedAfterACrash() throws {
        var world = World()
        var machine = try adopted(.alternate, &world)
        world.now = world.now.addingTimeInterval(400)
        #expect(machine.resume(now: world.now, fileIntact: true, rotateNow: true) == .regenerate(.secondary))
        let operation = LongRunningOperation(slot: .secondary, url: "https://arm/op/1", isAsyncOperation: true, acceptedAt: world.now)
        machine.accepted(operation)
        #expect(machine.record.pendingOperation == operation, "journaled in the record the caller persists")
        world.regenerate(.secondary, grace: .seconds(300))
        // A crash while polling: the new process follows the same operation.
        machine = RotationMachine(record: machine.record, resourceID: "/x", policy: policy(.alternate), now: world.now)
        #expect(machine.resume(now: world.now, fileIntact: true) == .resumeRegeneration(operation))
        #expect(machine.resumed(.lost, now: world.now) == .regenerate(.secondary), "a forgotten operation is asked for again")
        #expect(machine.drainEvents().contains(.operationLost(.secondary)))
        #expect(machine.record.pendingOperation == nil)
        machine.accepted(operation)
        guard case .sleep = machine.resumed(.failed("Conflict"), now: world.now) else {
            Issue.record("a failed operation is a failed step")
            return
        }
        #expect(machine.record.pendingOperation == nil && machine.record.lastError?.contains("Conflict") == true)
        world.now = try #require(machine.record.retryAt)
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.secondary))
        machine.accepted(operation)
        let material = try #require(
            machine.resumed(.completed(world.accessKeys(primary: true, secondary: true)), now: world.now).publishedMaterial
        )
        #expect(material.slot == .secondary && material.key.exposedValue == world.keys[.secondary])
        #expect(machine.record.pendingOperation == nil)
    }

    /// `rotate --emergency`, whatever the strategy: both keys regenerated without any time passing,
    /// the published one only after its replacement is published; a crash in between resumes it
    /// without waiting; the flag is gone once the rotation completes.
    @Test(arguments: [RotationStrategy.full, .alternate])
    func anEmergencyRegeneratesBothKeysAtOnceAndSurvivesACrash(strategy: RotationStrategy) throws {
        var world = World()
        var machine = try adopted(strategy, &world)
        let leaked = world.keys[.primary]!
        #expect(machine.resume(now: world.now, fileIntact: true, emergency: true) == .regenerate(.secondary))
        #expect(machine.drainEvents().contains(.emergencyRequested))
        world.regenerate(.secondary, grace: .seconds(300))
        let standby = try #require(
            machine.regenerated(.secondary, keys: world.accessKeys(primary: false, secondary: true), now: world.now).publishedMaterial,
            "the regenerated standby is published at once"
        )
        world.publish(standby)
        _ = machine.published(standby, fileDigest: KeyFingerprint(of: "s"), now: world.now)
        // A crash here: a new process resumes from the record alone, without being asked again.
        machine = RotationMachine(record: machine.record, resourceID: "/x", policy: policy(strategy), now: world.now)
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.primary), "no grace wait in an emergency")
        #expect(machine.drainEvents().contains(.regeneratingWithoutGrace(.primary)))
        world.regenerate(.primary, grace: .zero)
        let last = try #require(
            machine.regenerated(.primary, keys: world.accessKeys(primary: true, secondary: false), now: world.now).publishedMaterial,
            "the regenerated primary is published"
        )
        world.publish(last)
        _ = machine.published(last, fileDigest: KeyFingerprint(of: "p"), now: world.now)
        #expect(machine.record.step == .idle)
        #expect(machine.record.emergencySince == nil)
        #expect(machine.record.rotations == 1)
        #expect(world.keys[.primary] != leaked && world.keys[.secondary] != "s0", "both keys are new")
        #expect(world.fileIsValid)
        // The next scheduled rotation keeps the invariant again.
        world.now = machine.record.nextDue
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.secondary))
    }

    /// An emergency declared while a rotation waits out grace finishes that rotation without waiting,
    /// then replaces both keys again: the keys it started from leaked too.
    @Test func anEmergencyDuringGraceEndsWithBothKeysReplacedAfterIt() throws {
        var world = World()
        var machine = try adopted(.full, &world)
        world.now = machine.record.nextDue
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.secondary))
        world.regenerate(.secondary, grace: .seconds(300))
        let second = try #require(
            machine.regenerated(.secondary, keys: world.accessKeys(primary: false, secondary: true), now: world.now).publishedMaterial
        )
        world.publish(second)
        _ = machine.published(second, fileDigest: KeyFingerprint(of: "s"), now: world.now)
        world.now += 10
        let leaked = world.keys
        var regenerated: [KeySlot] = []
        var action = machine.resume(now: world.now, fileIntact: true, emergency: true)
        while case .regenerate(let slot) = action {
            regenerated.append(slot)
            world.regenerate(slot, grace: .zero)
            let material = try #require(
                machine.regenerated(slot, keys: world.accessKeys(primary: true, secondary: true), now: world.now).publishedMaterial
            )
            world.publish(material)
            action = machine.published(material, fileDigest: KeyFingerprint(of: material.key.exposedValue), now: world.now)
        }
        #expect(regenerated == [.primary, .secondary, .primary])
        #expect(world.keys[.primary] != leaked[.primary] && world.keys[.secondary] != leaked[.secondary])
        #expect(machine.record.step == .idle && machine.record.emergencySince == nil)
        #expect(world.fileIsValid)
    }

    /// The plan is the machine's own: what `--dry-run` prints is what a rotation then does, the
    /// wait for consumers (when the resource lists any) included.
    @Test(arguments: [RotationStrategy.full, .alternate], [false, true])
    func thePlanIsWhatTheRotationDoes(strategy: RotationStrategy, consumers: Bool) throws {
        var world = World()
        var machine = try adopted(strategy, &world)
        let names = ["/run/app/ack", "follower web-2"]
        if consumers { machine.policy.consumers = .init(names: names, timeout: .seconds(3600)) }
        let adoptedAt = world.now
        // Right after adoption the standby was published less than grace ago: the plan waits first.
        let early = machine.plan(now: world.now.addingTimeInterval(10))
        let waitUntil = adoptedAt.addingTimeInterval(300)
        func confirmed(before slot: KeySlot) -> [RotationPlan.Step] { consumers ? [.wait(.consumersUnconfirmed(names, slot: slot))] : [] }
        var expected: [RotationPlan.Step] = [.wait(.invariant(slot: .secondary, until: waitUntil))] + confirmed(before: .secondary)
        expected += [.regenerate(.secondary), .publish(.secondary)]
        if strategy == .full { expected += [.grace(.seconds(300))] + confirmed(before: .primary) + [.regenerate(.primary), .publish(.primary)] }
        #expect(early.steps == expected)
        world.now = world.now.addingTimeInterval(400)
        #expect(machine.plan(now: world.now).steps == Array(expected.dropFirst()))
        // Doing it: the regenerations and publications come in the planned order.
        var done: [RotationPlan.Step] = []
        var action = machine.resume(now: world.now, fileIntact: true, rotateNow: true)
        while true {
            switch action {
            case .confirmConsumers(let published, _):
                done.append(.wait(.consumersUnconfirmed(names, slot: published.other)))
                action = machine.consumersAnswered(unconfirmed: [], now: world.now)
            case .regenerate(let slot):
                done.append(.regenerate(slot))
                world.regenerate(slot, grace: .seconds(300))
                action = machine.regenerated(slot, keys: world.accessKeys(primary: true, secondary: true), now: world.now)
            case .publish(let material):
                done.append(.publish(material.slot))
                world.publish(material)
                action = machine.published(material, fileDigest: KeyFingerprint(of: material.key.exposedValue), now: world.now)
            case .sleep(let until) where machine.record.step != .idle:
                done.append(.grace(.seconds(until.timeIntervalSince(world.now))))
                world.now = until
                action = machine.resume(now: world.now, fileIntact: true)
            case .sleep, .listKeys, .resumeRegeneration, .retire, .recover:
                #expect(done == Array(expected.dropFirst()))
                #expect(world.violations.isEmpty)
                return
            }
        }
    }

    @Test func anEmergencyPlanRegeneratesBothKeysWithoutGrace() throws {
        var world = World()
        let machine = try adopted(.full, &world)
        #expect(
            machine.plan(now: world.now, emergency: true).steps == [
                .regenerate(.secondary), .publish(.secondary), .regenerateWithoutGrace(.primary), .publish(.primary),
            ]
        )
        let fresh = RotationMachine(record: nil, resourceID: "/x", policy: policy(.full), now: world.now)
        #expect(fresh.plan(now: world.now).steps == [.adopt(publish: .primary)])
    }

    /// The machine says why a resource waits: the control socket and the CLI only format it.
    @Test func theWaitReasonIsTyped() throws {
        var world = World()
        var machine = try adopted(.full, &world)
        #expect(machine.waitReason(now: world.now) == nil, "idle is no wait")
        // Asked at once: the standby may not be regenerated before grace has passed since adoption.
        let until = world.now.addingTimeInterval(300)
        #expect(machine.resume(now: world.now, fileIntact: true, rotateNow: true) == .sleep(until: until))
        #expect(machine.waitReason(now: world.now) == .invariant(slot: .secondary, until: until))
        machine.policy.consumers = .init(names: ["app.ack"], timeout: .seconds(3600))
        world.now = until
        guard case .confirmConsumers = machine.resume(now: world.now, fileIntact: true) else {
            Issue.record("listed consumers are asked before the regeneration")
            return
        }
        #expect(machine.consumersAnswered(unconfirmed: ["app.ack"], now: world.now) == .sleep(until: world.now.addingTimeInterval(5)))
        #expect(machine.waitReason(now: world.now) == .consumersUnconfirmed(["app.ack"], slot: .secondary))
        machine.policy.consumers = nil
        world.now += 5
        #expect(machine.resume(now: world.now, fileIntact: true) == .regenerate(.secondary))
        world.regenerate(.secondary, grace: .seconds(300))
        let second = try #require(
            machine.regenerated(.secondary, keys: world.accessKeys(primary: false, secondary: true), now: world.now).publishedMaterial
        )
        world.publish(second)
        let graceEnd = try #require(machine.published(second, fileDigest: KeyFingerprint(of: "g"), now: world.now).sleepUntil)
        #expect(machine.waitReason(now: world.now) == .grace(until: graceEnd, then: .primary))
        world.now = graceEnd
        _ = machine.resume(now: world.now, fileIntact: true)
        struct Refused: Error, CustomStringConvertible { var description = "ARM said no" }
        _ = machine.failed(Refused(), now: world.now)
        let reason = try #require(machine.waitReason(now: world.now))
        guard case .retry(_, let lastError) = reason else {
            Issue.record("a failed step waits for its retry, not \(reason)")
            return
        }
        #expect(lastError == "ARM said no")
    }

    /// Before a key is regenerated, every listed consumer must have confirmed the published key:
    /// keyrotd asks again every few seconds; after `confirm_timeout` since the key was published the
    /// step fails with the alarm and is retried with backoff, and the key they may still use stays alive.
    /// (The timeout runs from when the key was published: consumers have had the whole period.)
    @Test func theKeyConsumersLeaveLivesUntilTheyAllConfirmAndALateConfirmationRaisesTheAlarm() throws {
        var world = World()
        var policy = policy(.full)
        let consumers = ["/run/app/app.ack", "/usr/bin/check-app"]
        policy.consumers = .init(names: consumers, timeout: .seconds(7200))
        var machine = try adopted(policy, &world)
        _ = machine.drainEvents()
        // Adopted: the primary is published; the secondary may be regenerated once consumers confirm the primary.
        world.now = machine.record.nextDue
        let primary = try #require(machine.record.publishedKey)
        #expect(machine.resume(now: world.now, fileIntact: true) == .confirmConsumers(published: .primary, fingerprint: primary))
        #expect(
            machine.consumersAnswered(unconfirmed: consumers, now: world.now) == .sleep(until: world.now.addingTimeInterval(5)),
            "asked again in a few seconds"
        )
        #expect(machine.drainEvents().contains(.awaitingConsumers(consumers, published: .primary, regenerating: .secondary)))
        world.now += 5
        #expect(machine.resume(now: world.now, fileIntact: true) == .confirmConsumers(published: .primary, fingerprint: primary))
        #expect(machine.consumersAnswered(unconfirmed: [], now: world.now) == .regenerate(.secondary))
        #expect(machine.drainEvents() == [.consumersConfirmed(.primary)])
        world.regenerate(.secondary, grace: .seconds(300))
        let second = try #require(
            machine.regenerated(.secondary, keys: world.accessKeys(primary: false, secondary: true), now: world.now).publishedMaterial
        )
        world.publish(second)
        let publishedAt = world.now
        let graceEnd = try #require(machine.published(second, fileDigest: KeyFingerprint(of: "s"), now: world.now).sleepUntil)

        // Grace passes, but the consumers only confirm the new secondary after the timeout.
        world.now = graceEnd
        #expect(machine.resume(now: world.now, fileIntact: true) == .confirmConsumers(published: .secondary, fingerprint: second.fingerprint))
        #expect(machine.consumersAnswered(unconfirmed: consumers, now: world.now) == .sleep(until: world.now.addingTimeInterval(5)))
        #expect(machine.record.consecutiveFailures == 0, "no alarm before the timeout")
        world.now = publishedAt.addingTimeInterval(7200)
        #expect(machine.resume(now: world.now, fileIntact: true) == .confirmConsumers(published: .secondary, fingerprint: second.fingerprint))
        let retry = try #require(machine.consumersAnswered(unconfirmed: consumers, now: world.now).sleepUntil)
        #expect(machine.record.consecutiveFailures == 1, "the alarm")
        let alarm = try #require(machine.record.retry?.lastError)
        #expect(alarm.message.contains("have not confirmed loading the secondary key") && consumers.allSatisfy(alarm.message.contains))
        #expect(alarm.code == "confirmation-overdue")
        #expect(world.keys[.primary] == "p0", "the primary stays alive while they have not confirmed")
        world.now = retry
        #expect(machine.resume(now: world.now, fileIntact: true) == .confirmConsumers(published: .secondary, fingerprint: second.fingerprint))
        #expect(machine.consumersAnswered(unconfirmed: [], now: world.now) == .regenerate(.primary))
        world.regenerate(.primary, grace: .seconds(300))
        let last = try #require(
            machine.regenerated(.primary, keys: world.accessKeys(primary: true, secondary: false), now: world.now).publishedMaterial
        )
        _ = machine.published(last, fileDigest: KeyFingerprint(of: "p"), now: world.now)
        #expect(machine.record.consecutiveFailures == 0 && machine.record.rotations == 1)
        #expect(world.violations.isEmpty)
    }

    /// An emergency asks no consumer: the leaked key must go whatever they hold.
    @Test func anEmergencyDoesNotWaitForConsumers() throws {
        var world = World()
        var policy = policy(.alternate)
        policy.consumers = .init(names: ["app.ack"], timeout: .seconds(900))
        var machine = try adopted(policy, &world)
        #expect(machine.resume(now: world.now, fileIntact: true, emergency: true) == .regenerate(.secondary))
    }

    @Test func onDemandRotationRightAfterOneStillWaitsGrace() throws {
        var world = World()
        var machine = try adopted(.alternate, &world)
        // Adoption counts the secondary as unpublished from now: asking at once must wait grace.
        let action = machine.resume(now: world.now.addingTimeInterval(10), fileIntact: true, rotateNow: true)
        #expect(action == .sleep(until: world.now.addingTimeInterval(300)))
    }

    @Test func outOfBandRegenerationOfThePublishedKeyIsDetectedAndRepaired() throws {
        var world = World()
        var machine = try adopted(.full, &world)
        _ = machine.drainEvents()
        world.keys[.primary] = "portal"  // someone regenerated the published key
        world.now = world.now.addingTimeInterval(10)
        // The file was rewritten by nobody, but the repair path is taken when the file is not intact
        // or when a response carries the published key: here the operator deleted the file too.
        #expect(machine.resume(now: world.now, fileIntact: false) == .listKeys)
        let repaired = try #require(machine.listed(world.accessKeys(primary: true, secondary: true), now: world.now).publishedMaterial)
        #expect(repaired.key.exposedValue == "portal")
        #expect(machine.drainEvents().contains { if case .driftDetected(.primary, _, _) = $0 { true } else { false } })
    }

    /// Random crashes (before or after each action takes effect), random failures and random
    /// wake-ups: the invariant must hold at every regeneration, and the file must end valid. A third
    /// of the runs have maintenance windows (across Berlin's daylight-saving nights): every
    /// regeneration falls inside one.
    @Test func invariantHoldsUnderCrashesAndFailures() async throws {
        await propertyCheck(count: 300, input: Gen.uint64(in: 0...UInt64.max), Gen.int(in: 0...1)) { seed, strategyIndex in
            let strategy: RotationStrategy = strategyIndex == 0 ? .full : .alternate
            var random = SplitMix64(seed: seed)
            func chance(_ p: Double) -> Bool { Double(random.next() % 10_000) / 10_000 < p }
            var world = World()
            var policy = policy(strategy)
            if seed % 3 == 0 {
                // Short windows in a zone with daylight time: every regeneration must fall inside one.
                policy.windows = try! MaintenanceWindows(
                    parsing: ["Mon-Fri 09:00-09:20", "Sat,Sun 02:00-03:30"],
                    zone: TimeZoneRules(named: "Europe/Berlin")
                )
                world.windows = policy.windows
            }
            if seed % 2 == 1 {
                // Listed consumers, slow to confirm: no regeneration before they confirmed the key in the file.
                policy.consumers = .init(names: ["app"], timeout: .seconds(600))
                world.consumersListed = true
            }
            var persisted: ResourceState? = nil
            var machine = RotationMachine(record: nil, resourceID: "/x", policy: policy, now: world.now, random: SplitMix64(seed: seed))
            var action = machine.resume(now: world.now, fileIntact: false)
            var lastDigest: KeyFingerprint?
            var steps = 0
            func fileIntact() -> Bool { world.file.map { KeyFingerprint(of: $0.key) } == lastDigest && lastDigest != nil }
            /// A crash: a new process starts from the last durable record, with nothing in memory.
            func restartFromRecord() {
                machine = RotationMachine(
                    record: persisted,
                    resourceID: "/x",
                    policy: policy,
                    now: world.now,
                    random: SplitMix64(seed: random.next())
                )
                action = machine.resume(now: world.now, fileIntact: fileIntact())
            }
            while machine.record.rotations < 4 && steps < 2000 {
                steps += 1
                persisted = machine.record  // recorded before acting
                let crashBefore = chance(0.08)
                let crashAfter = !crashBefore && chance(0.08)
                let fail = !crashBefore && !crashAfter && chance(0.08)
                if crashBefore {
                    restartFromRecord()
                    continue
                }
                switch action {
                case .sleep(let until):
                    if chance(0.3) {
                        // An early wake-up (another resource, an on-demand request, a reload).
                        let span = max(0, until.timeIntervalSince(world.now))
                        world.now = world.now.addingTimeInterval(span * Double(random.next() % 1000) / 1000)
                    } else {
                        world.now = max(world.now, until).addingTimeInterval(chance(0.5) ? Double(random.next() % 100) : 0)
                    }
                    action = machine.resume(now: world.now, fileIntact: fileIntact(), rotateNow: chance(0.1))
                    continue
                case .listKeys:
                    if fail {
                        action = machine.failed(FakeError.injected, now: world.now)
                        continue
                    }
                    if crashAfter { break }
                    action = machine.listed(world.accessKeys(primary: true, secondary: true), now: world.now)
                case .regenerate(let slot):
                    if fail {
                        action = machine.failed(FakeError.injected, now: world.now)
                        continue
                    }
                    world.regenerate(slot, grace: policy.grace)
                    if chance(0.3) {
                        // A long-running regeneration: journaled when ARM accepts it; its keys are read after it ends.
                        machine.accepted(LongRunningOperation(slot: slot, url: "https://arm/op", isAsyncOperation: true, acceptedAt: world.now))
                        persisted = machine.record
                        if crashAfter { break }
                        action = machine.regenerated(slot, keys: AccessKeys(), now: world.now)
                        continue
                    }
                    if crashAfter { break }
                    let full = chance(0.3)
                    action = machine.regenerated(
                        slot,
                        keys: world.accessKeys(primary: slot == .primary || full, secondary: slot == .secondary || full),
                        now: world.now
                    )
                case .confirmConsumers(_, let fingerprint):
                    #expect(fingerprint == world.file.map { KeyFingerprint(of: $0.key) }, "asked about the key in the file")
                    let confirms = chance(0.7)
                    if confirms { world.confirmed = world.file?.key }
                    if crashAfter { break }
                    action = machine.consumersAnswered(unconfirmed: confirms ? [] : ["app"], now: world.now)
                case .resumeRegeneration:
                    if fail {
                        action = machine.failed(FakeError.injected, now: world.now)
                        continue
                    }
                    // After a restart the journaled operation has ended, is forgotten, or failed.
                    let outcomes: [LongRunningOperation.Outcome] = [
                        .completed(world.accessKeys(primary: true, secondary: true)), .lost, .failed("Conflict"),
                    ]
                    let outcome = outcomes[Int(random.next() % 3)]
                    if crashAfter { break }
                    action = machine.resumed(outcome, now: world.now)
                case .publish(let material):
                    if fail {
                        action = machine.failed(FakeError.injected, now: world.now)
                        continue
                    }
                    world.publish(material)
                    lastDigest = KeyFingerprint(of: material.key.exposedValue)
                    if crashAfter { break }
                    action = machine.published(material, fileDigest: lastDigest!, now: world.now)
                case .retire, .recover:
                    Issue.record("a key pair's machine asked for \(action)")
                    return
                }
                if crashAfter {
                    restartFromRecord()
                }
            }
            #expect(world.violations.isEmpty, "\(world.violations)")
            #expect(machine.record.rotations >= 4, "stalled at \(machine.record.step) after \(steps) steps")
            #expect(world.fileIsValid)
            if strategy == .full { #expect(machine.record.published == .primary) }
        }
    }
}

extension RotationMachine.Action {
    /// The key material of a `.publish` action; `nil` for any other action (for `#require`).
    fileprivate var publishedMaterial: KeyMaterial? {
        if case .publish(let material) = self { material } else { nil }
    }

    /// The wake-up instant of a `.sleep` action; `nil` for any other action (for `#require`).
    fileprivate var sleepUntil: Date? {
        if case .sleep(let until) = self { until } else { nil }
    }
}
