import Foundation
import KeyRotation
import PropertyBased
import Testing

/// A simulated application for the ``CredentialModel/addAndRemove`` model: its passwords (each
/// shown once, when added), the secret file consumers read, and the checks of the invariant.
private struct Application {
    struct Password {
        var slot: KeySlot
        var rotation: Date
        var secret: String
        /// Made by keyrotd (its display name says so); the others are never removed.
        var ours = true
    }

    var passwords: [String: Password] = [:]
    /// A password someone else made, which keyrotd must never touch.
    let foreign = "foreign-secret"
    var file: String?
    /// When each secret stopped being in the file.
    var leftFile: [String: Date] = [:]
    var now = Date(timeIntervalSince1970: 1_800_000_000)
    var violations: [String] = []
    var made = 0

    /// `addKey`: the orphans of this rotation's earlier attempts go, then one is added.
    mutating func add(_ slot: KeySlot, rotation: Date) -> String {
        for (id, password) in passwords where password.ours && password.slot == slot && password.rotation == rotation {
            remove(id, password, why: "orphan")
        }
        made += 1
        let secret = "s\(made)~abc.\(slot.rawValue)"
        passwords["k\(made)"] = Password(slot: slot, rotation: rotation, secret: secret)
        return secret
    }

    /// `retireKey`.
    mutating func retire(_ slot: KeySlot, grace: Duration, emergency: Bool) {
        for (id, password) in passwords where password.ours && password.slot == slot {
            if !emergency, let left = leftFile[password.secret], now.timeIntervalSince(left) < grace.seconds - 0.000_5 {
                violations.append("removed \(slot) \(now.timeIntervalSince(left))s after it left the file")
            }
            remove(id, password, why: "retired")
        }
    }

    private mutating func remove(_ id: String, _ password: Password, why: String) {
        if password.secret == file { violations.append("removed the published \(password.slot) secret (\(why)) at \(now)") }
        passwords[id] = nil
    }

    mutating func publish(_ secret: String) {
        if let old = file, old != secret { leftFile[old] = now }
        file = secret
    }

    /// The file's secret works: consumers reading it are never refused.
    mutating func checkFile() {
        if let file, !passwords.values.contains(where: { $0.secret == file }) { violations.append("the file holds a dead secret at \(now)") }
    }

    func material(_ slot: KeySlot, _ secret: String) -> KeyMaterial {
        KeyMaterial(slot: slot, key: Secret(secret), connectionString: nil, endpoint: "https://login/tenant", keyName: "client")
    }
}

/// ``RotationMachine`` with ``CredentialModel/addAndRemove``: adds to the free slot, publishes,
/// removes the replaced credential after grace, and recovers from restarts with nothing in memory.
struct AddAndRemoveRotationTests {
    private func policy() -> RotationPolicy {
        var policy = RotationPolicy(strategy: .alternate, every: .seconds(3600), grace: .seconds(300), jitter: .seconds(60))
        policy.model = .addAndRemove
        return policy
    }

    @Test func aFirstRunAddsPublishesAndRemovesNothingOfOthers() throws {
        var app = Application()
        var machine = RotationMachine(record: nil, resourceID: "app", policy: policy(), now: app.now)
        #expect(machine.plan(now: app.now).steps == [.regenerate(.primary), .publish(.primary), .grace(.seconds(300)), .retire(.secondary)])
        guard case .regenerate(.primary) = machine.resume(now: app.now, fileIntact: false) else {
            Issue.record("a first run must add a primary secret")
            return
        }
        let start = try #require(machine.record.rotationStartedAt)
        let secret = app.add(.primary, rotation: start)
        var action = machine.regenerated(
            .primary,
            keys: AccessKeys(primary: AccessKey(value: Secret(secret), endpoint: "e", name: "n")),
            now: app.now
        )
        #expect(machine.record.rotation?.pending == KeyFingerprint(of: secret))
        guard case .publish(let material) = action else {
            Issue.record("expected a publish, got \(action)")
            return
        }
        app.publish(material.key.exposedValue)
        action = machine.published(material, fileDigest: KeyFingerprint(of: secret), now: app.now)
        #expect(action == .sleep(until: app.now.addingTimeInterval(300)))
        #expect(machine.waitReason(now: app.now) == .grace(until: app.now.addingTimeInterval(300), then: .secondary))
        app.now = app.now.addingTimeInterval(300)
        #expect(machine.resume(now: app.now, fileIntact: true) == .retire(.secondary))
        _ = machine.retired(.secondary, now: app.now)
        #expect(machine.record.step == .idle && machine.record.rotations == 1 && machine.record.published == .primary)
        #expect(machine.drainEvents().contains(.keyRetired(.secondary)))
    }

    @Test func aRestartMidPublishFindsTheSecretInTheOutputs() throws {
        var app = Application()
        var machine = RotationMachine(record: nil, resourceID: "app", policy: policy(), now: app.now)
        _ = machine.resume(now: app.now, fileIntact: false)
        let secret = app.add(.primary, rotation: try #require(machine.record.rotationStartedAt))
        _ = machine.regenerated(.primary, keys: AccessKeys(primary: AccessKey(value: Secret(secret), endpoint: "e", name: "n")), now: app.now)
        app.publish(secret)  // the file was written, then the process died before recording it
        var restarted = RotationMachine(record: machine.record, resourceID: "app", policy: policy(), now: app.now)
        #expect(restarted.resume(now: app.now, fileIntact: false) == .recover(KeyFingerprint(of: secret), slot: .primary))
        #expect(Secret.find(KeyFingerprint(of: secret), in: "AZURE_CLIENT_SECRET=\(secret)\n")?.exposedValue == secret)
        #expect(restarted.recovered(app.material(.primary, secret), now: app.now) == .publish(app.material(.primary, secret)))
        // Nothing in the outputs: the secret is lost, so a new one replaces it (the orphan goes with the addition).
        var lost = RotationMachine(record: machine.record, resourceID: "app", policy: policy(), now: app.now)
        _ = lost.resume(now: app.now, fileIntact: false)
        #expect(lost.recovered(nil, now: app.now) == .regenerate(.primary))
        #expect(lost.record.rotation?.pending == nil)
    }

    /// Every output lost the published secret during grace: the rotation still waits grace before
    /// it removes the replaced secret, then a new rotation is due at once.
    @Test func aPublishedSecretLostInGraceIsReplacedOnceTheRotationEnds() throws {
        var app = Application()
        var machine = RotationMachine(record: nil, resourceID: "app", policy: policy(), now: app.now)
        _ = machine.resume(now: app.now, fileIntact: false)
        let secret = app.add(.primary, rotation: try #require(machine.record.rotationStartedAt))
        _ = machine.regenerated(.primary, keys: AccessKeys(primary: AccessKey(value: Secret(secret), endpoint: "e", name: "n")), now: app.now)
        _ = machine.published(app.material(.primary, secret), fileDigest: KeyFingerprint(of: secret), now: app.now)
        app.now = app.now.addingTimeInterval(100)
        #expect(machine.resume(now: app.now, fileIntact: false) == .recover(KeyFingerprint(of: secret), slot: .primary))
        #expect(machine.recovered(nil, now: app.now) == .sleep(until: app.now.addingTimeInterval(200)), "grace still holds")
        app.now = app.now.addingTimeInterval(200)
        #expect(machine.resume(now: app.now, fileIntact: true) == .retire(.secondary))
        #expect(machine.retired(.secondary, now: app.now) == .sleep(until: app.now))
        #expect(machine.record.nextDue == app.now)
        #expect(machine.resume(now: app.now, fileIntact: false) == .recover(KeyFingerprint(of: secret), slot: .primary))
        guard case .regenerate(.secondary) = machine.recovered(nil, now: app.now) else {
            Issue.record("the lost secret must be replaced by a new rotation")
            return
        }
    }

    @Test func anEmergencyRemovesTheReplacedSecretWithoutGrace() throws {
        var app = Application()
        var machine = try adopted(&app)
        #expect(machine.plan(now: app.now, emergency: true).steps == [.regenerate(.secondary), .publish(.secondary), .retire(.primary)])
        guard case .regenerate(.secondary) = machine.resume(now: app.now, fileIntact: true, emergency: true) else {
            Issue.record("an emergency adds the standby at once")
            return
        }
        let secret = app.add(.secondary, rotation: try #require(machine.record.rotationStartedAt))
        let material = app.material(.secondary, secret)
        _ = machine.regenerated(.secondary, keys: AccessKeys(secondary: AccessKey(value: Secret(secret), endpoint: "e", name: "n")), now: app.now)
        #expect(machine.published(material, fileDigest: KeyFingerprint(of: secret), now: app.now) == .retire(.primary))
    }

    @Test func consumersConfirmTheNewSecretBeforeTheOldOneIsRemoved() throws {
        var app = Application()
        var policy = policy()
        policy.consumers = .init(names: ["web"], timeout: .seconds(900))
        var machine = RotationMachine(record: nil, resourceID: "app", policy: policy, now: app.now)
        _ = machine.resume(now: app.now, fileIntact: false)
        let secret = app.add(.primary, rotation: try #require(machine.record.rotationStartedAt))
        _ = machine.regenerated(.primary, keys: AccessKeys(primary: AccessKey(value: Secret(secret), endpoint: "e", name: "n")), now: app.now)
        _ = machine.published(app.material(.primary, secret), fileDigest: KeyFingerprint(of: secret), now: app.now)
        app.now = app.now.addingTimeInterval(301)
        #expect(machine.resume(now: app.now, fileIntact: true) == .confirmConsumers(published: .primary, fingerprint: KeyFingerprint(of: secret)))
        #expect(machine.consumersAnswered(unconfirmed: ["web"], now: app.now) == .sleep(until: app.now.addingTimeInterval(5)))
        #expect(machine.waitReason(now: app.now) == .consumersUnconfirmed(["web"], slot: .secondary))
        #expect(machine.consumersAnswered(unconfirmed: [], now: app.now) == .retire(.secondary))
    }

    /// Random crashes (before or after each action takes effect, a publish torn between the file and
    /// the record), failures and wake-ups: the file never holds a dead secret, no secret leaves
    /// before grace, no other party's password is touched, and no orphan outlives the rotations.
    @Test func theFileNeverHoldsADeadSecretUnderCrashes() async throws {
        await propertyCheck(count: 300, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = SplitMix64(seed: seed)
            func chance(_ p: Double) -> Bool { Double(random.next() % 10_000) / 10_000 < p }
            var app = Application()
            app.passwords["foreign"] = .init(slot: .primary, rotation: .distantPast, secret: app.foreign, ours: false)
            let policy = policy()
            var persisted: ResourceState? = nil
            var machine = RotationMachine(record: nil, resourceID: "app", policy: policy, now: app.now, random: SplitMix64(seed: seed))
            var lastDigest: KeyFingerprint?
            func fileIntact() -> Bool { app.file.map { KeyFingerprint(of: $0) } == lastDigest && lastDigest != nil }
            var action = machine.resume(now: app.now, fileIntact: fileIntact())
            var steps = 0
            while machine.record.rotations < 4 && steps < 3000 {
                steps += 1
                persisted = machine.record
                let crashBefore = chance(0.08)
                let crashAfter = !crashBefore && chance(0.08)
                let fail = !crashBefore && !crashAfter && chance(0.08)
                if !crashBefore {
                    switch action {
                    case .sleep(let until):
                        app.now = chance(0.3) ? app.now.addingTimeInterval(max(0, until.timeIntervalSince(app.now)) / 2) : max(app.now, until)
                        action = machine.resume(now: app.now, fileIntact: fileIntact(), rotateNow: chance(0.1))
                        continue
                    case .regenerate(let slot):
                        guard !fail else {
                            action = machine.failed(FakeError.injected, now: app.now)
                            continue
                        }
                        let secret = app.add(slot, rotation: machine.record.rotationStartedAt ?? .distantPast)
                        if crashAfter { break }  // the answer is lost: an orphan
                        action = machine.regenerated(
                            slot,
                            keys: AccessKeys(slot, AccessKey(value: Secret(secret), endpoint: "e", name: "n")),
                            now: app.now
                        )
                    case .publish(let material):
                        guard !fail else {
                            action = machine.failed(FakeError.injected, now: app.now)
                            continue
                        }
                        app.publish(material.key.exposedValue)
                        if crashAfter { break }  // written, not recorded
                        lastDigest = KeyFingerprint(of: material.key.exposedValue)
                        action = machine.published(material, fileDigest: lastDigest!, now: app.now)
                    case .retire(let slot):
                        guard !fail else {
                            action = machine.failed(FakeError.injected, now: app.now)
                            continue
                        }
                        app.retire(slot, grace: policy.grace, emergency: false)
                        if crashAfter { break }
                        action = machine.retired(slot, now: app.now)
                    case .recover(let fingerprint, let slot):
                        let found = app.file.flatMap { Secret.find(fingerprint, in: $0) }
                        action = machine.recovered(found.map { app.material(slot, $0.exposedValue) }, now: app.now)
                        continue
                    case .confirmConsumers, .listKeys, .resumeRegeneration:
                        app.violations.append("asked for \(action)")
                        return
                    }
                    app.checkFile()
                    if !crashAfter { continue }
                }
                // A crash: a new process from the last durable record, with nothing in memory.
                machine = RotationMachine(record: persisted, resourceID: "app", policy: policy, now: app.now, random: SplitMix64(seed: random.next()))
                action = machine.resume(now: app.now, fileIntact: fileIntact())
            }
            #expect(app.violations.isEmpty, "\(app.violations)")
            #expect(machine.record.rotations >= 4, "stalled at \(machine.record.step) after \(steps) steps")
            #expect(app.passwords["foreign"] != nil, "another party's password was removed")
            // After the last rotation's removal only the published secret (and the foreign one) remain.
            #expect(app.passwords.count == 2, "\(app.passwords.count - 2) orphaned or leftover passwords")
            app.checkFile()
            #expect(app.violations.isEmpty)
        }
    }

    private func adopted(_ app: inout Application) throws -> RotationMachine {
        var machine = RotationMachine(record: nil, resourceID: "app", policy: policy(), now: app.now)
        _ = machine.resume(now: app.now, fileIntact: false)
        let secret = app.add(.primary, rotation: try #require(machine.record.rotationStartedAt))
        _ = machine.regenerated(.primary, keys: AccessKeys(primary: AccessKey(value: Secret(secret), endpoint: "e", name: "n")), now: app.now)
        app.publish(secret)
        _ = machine.published(app.material(.primary, secret), fileDigest: KeyFingerprint(of: secret), now: app.now)
        app.now = app.now.addingTimeInterval(300)
        _ = machine.resume(now: app.now, fileIntact: true)
        _ = machine.retired(.secondary, now: app.now)
        _ = machine.drainEvents()
        return machine
    }
}

extension AccessKeys {
    /// Keys with only `slot`'s.
    fileprivate init(_ slot: KeySlot, _ key: AccessKey) {
        self.init()
        self[slot] = key
    }
}
