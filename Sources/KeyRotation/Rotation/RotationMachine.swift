import FoundationEssentials

/// The rotation state machine of one resource.
///
/// It owns the durable ``ResourceState`` and returns the next ``Action`` to take. The caller must
/// persist ``record`` whenever it changed *before* performing the action: that is what makes every
/// step recoverable. The invariant it keeps: a key is regenerated only when it is not the published
/// key and has not been published for at least `grace`.
public struct RotationMachine: Sendable {
    /// What the caller must do next.
    public enum Action: Sendable, Equatable {
        /// Read both live keys (`listKeys`) and call ``RotationMachine/listed(_:now:)``.
        case listKeys
        /// Regenerate `slot` and call ``RotationMachine/regenerated(_:keys:now:)``; journal a
        /// long-running regeneration with ``RotationMachine/accepted(_:)``.
        case regenerate(KeySlot)
        /// Follow the journaled regeneration to its end and call ``RotationMachine/resumed(_:now:)``.
        case resumeRegeneration(LongRunningOperation)
        /// Write the secret file and call ``RotationMachine/published(_:fileDigest:now:)``.
        case publish(KeyMaterial)
        /// Nothing to do before `until`.
        case sleep(until: Date)
    }

    /// Errors the machine detects in responses or records.
    public struct Failure: Error, Sendable, CustomStringConvertible {
        /// What went wrong, for the operator.
        public var description: String
    }

    private enum State: Sendable {
        /// Waiting for the caller to resume.
        case resting
        /// Holding the keys of the last ARM answer (memory only), for publishing without another `listKeys`.
        case holding(AccessKeys)
    }

    /// The durable record; persist it whenever it changes (``revision`` tells), before acting.
    public private(set) var record: ResourceState {
        didSet { if record != oldValue { revision &+= 1 } }
    }
    /// Counts the changes to ``record``. A caller that remembers the revision it last persisted
    /// knows whether it must persist again without keeping a copy of the record (at 10,000
    /// resources the copies alone were 2.5 MB).
    public private(set) var revision: UInt64 = 0
    /// The resource's policy; may be replaced on reload.
    public var policy: RotationPolicy
    /// Events since the caller last drained them.
    public private(set) var events: [RotationEvent] = []
    private var state: State = .resting
    /// The consumers the regeneration at hand waits for (memory only: asked again after a restart).
    private var unconfirmedConsumers: [String]?
    private var random: SplitMix64

    /// Creates the machine from a stored record, or for a new resource when `record` is `nil`.
    public init(record: ResourceState?, resourceID: String, policy: RotationPolicy, now: Date, random: SplitMix64 = SplitMix64()) {
        self.record = record ?? ResourceState(resourceID: resourceID, adoptedAt: now)
        self.policy = policy
        self.random = random
    }

    /// Returns and clears the pending events.
    public mutating func drainEvents() -> [RotationEvent] {
        defer { events.removeAll() }
        return events
    }

    /// Decides what to do when the resource is woken.
    ///
    /// - Parameters:
    ///   - fileIntact: whether the secret file still holds exactly what was last written.
    ///   - rotateNow: an on-demand rotation was requested (starts one if idle; the invariant still holds).
    ///   - emergency: an operator declared the published key leaked (`rotate --emergency`): both keys
    ///     are regenerated one after the other without waiting for `grace`, the one path allowed to
    ///     break the invariant. Remembered in the record until the rotation completes.
    public mutating func resume(now: Date, fileIntact: Bool, rotateNow: Bool = false, emergency: Bool = false) -> Action {
        if emergency, record.step != .adopting, record.emergencySince == nil {
            record.emergencySince = now
            record.retryAt = nil
            events.append(.emergencyRequested)
        }
        if let retryAt = record.retryAt, now < retryAt, !rotateNow { return .sleep(until: retryAt) }
        switch record.step {
        case .adopting:
            return .listKeys
        case .idle:
            if !fileIntact { return repair() }
            if rotateNow || record.emergencySince != nil || now >= record.nextDue {
                if record.emergencySince == nil, let opening = waitForWindow(now: now, jitter: true) { return .sleep(until: opening) }
                return beginRotation(now: now)
            }
            return .sleep(until: record.nextDue)
        case .regenerating(let slot, _):
            if let operation = record.pendingOperation, operation.slot == slot { return .resumeRegeneration(operation) }
            return regenerate(slot, now: now)
        case .publishing(let slot, _):
            if case .holding(let keys) = state, let material = keys.material(slot) { return .publish(material) }
            return .listKeys
        case .grace(let until, let slot):
            if !fileIntact { return repair() }
            if now < until, record.emergencySince == nil { return .sleep(until: until) }
            record.step = .regenerating(slot: slot, final: true)
            return regenerate(slot, now: now)
        }
    }

    /// Reports that the regeneration at hand waits for `consumers` to confirm the published key
    /// (an empty list: they have), for ``waitReason(now:)``.
    public mutating func consumersUnconfirmed(_ consumers: [String]) {
        unconfirmedConsumers = consumers.isEmpty ? nil : consumers
    }

    /// Why the resource waits at `now`; `nil` while it has work to do, or when nothing is under way.
    public func waitReason(now: Date) -> WaitReason? {
        if let retryAt = record.retryAt, retryAt > now { return .retry(at: retryAt, lastError: record.lastError ?? "a failure") }
        if let opensAt = record.windowOpensAt, opensAt > now, record.emergencySince == nil { return .window(opensAt: opensAt) }
        switch record.step {
        case .grace(let until, let slot) where until > now && record.emergencySince == nil:
            return .grace(until: until, then: slot)
        case .regenerating(let slot, _):
            if let consumers = unconfirmedConsumers { return .consumersUnconfirmed(consumers, slot: slot) }
            if record.emergencySince == nil, let earliest = record.earliestRegeneration(of: slot, grace: policy.grace), earliest > now {
                return .invariant(slot: slot, until: earliest)
            }
            return nil
        default:
            return nil
        }
    }

    /// What a rotation asked for at `now` would do (an `emergency` one: both keys without grace),
    /// by the rules ``resume(now:fileIntact:rotateNow:emergency:)`` applies.
    public func plan(now: Date, emergency: Bool = false) -> RotationPlan {
        switch record.step {
        case .adopting:
            return RotationPlan(steps: [.adopt(publish: policy.strategy == .full ? .primary : record.published)])
        case .idle:
            break
        default:
            return RotationPlan(steps: [.resume(record.step)])
        }
        let published = record.published
        let standby = published.other
        if emergency {
            return RotationPlan(steps: [.regenerate(standby), .publish(standby), .regenerateWithoutGrace(published), .publish(published)])
        }
        var steps: [RotationPlan.Step] = []
        if let earliest = record.earliestRegeneration(of: standby, grace: policy.grace), earliest > now {
            steps.append(.wait(.invariant(slot: standby, until: earliest)))
        }
        if let windows = policy.windows, !windows.contains(now), let opening = windows.nextOpening(atOrAfter: now) {
            steps.append(.wait(.window(opensAt: opening)))
        }
        steps += [.regenerate(standby), .publish(standby)]
        if policy.strategy == .full { steps += [.grace(policy.grace), .regenerate(published), .publish(published)] }
        return RotationPlan(steps: steps)
    }

    /// Feeds the answer of `listKeys`.
    public mutating func listed(_ keys: AccessKeys, now: Date) -> Action {
        state = .holding(keys)
        let slot: KeySlot
        switch record.step {
        case .adopting:
            slot = policy.strategy == .full ? .primary : record.published
        case .publishing(let s, _):
            slot = s
        case .idle, .grace:
            slot = record.published
            if let live = keys.key(slot)?.fingerprint, let expected = record.publishedKey, live != expected {
                events.append(.driftDetected(slot, expected: expected, actual: live))
            }
        case .regenerating(let s, _):
            return regenerate(s, now: now)
        }
        guard let material = keys.material(slot) else {
            return failed(Failure(description: "listKeys answered without the \(slot) key"), now: now)
        }
        return .publish(material)
    }

    /// Journals that ARM accepted the regeneration at hand as a long-running operation: persist
    /// ``record`` before polling it.
    public mutating func accepted(_ operation: LongRunningOperation) {
        guard case .regenerating(let slot, _) = record.step, slot == operation.slot else { return }
        record.pendingOperation = operation
    }

    /// Feeds how a journaled regeneration ended.
    public mutating func resumed(_ outcome: LongRunningOperation.Outcome, now: Date) -> Action {
        guard case .regenerating(let slot, _) = record.step, record.pendingOperation?.slot == slot else {
            return failed(Failure(description: "internal: a resumed regeneration in step \(record.step)"), now: now)
        }
        switch outcome {
        case .completed(let keys):
            return regenerated(slot, keys: keys, now: now)
        case .lost:
            record.pendingOperation = nil
            events.append(.operationLost(slot))
            return regenerate(slot, now: now)
        case .failed(let reason):
            record.pendingOperation = nil
            return failed(Failure(description: "ARM's regeneration of the \(slot) key failed: \(reason)"), now: now)
        }
    }

    /// Feeds the answer of `regenerateKey(slot)`.
    public mutating func regenerated(_ slot: KeySlot, keys: AccessKeys, now: Date) -> Action {
        guard case .regenerating(let expected, let final) = record.step, expected == slot else {
            return failed(Failure(description: "internal: regenerate answer for \(slot) in step \(record.step)"), now: now)
        }
        record.pendingOperation = nil
        state = .holding(keys)
        unconfirmedConsumers = nil
        record.regenerations += 1
        let published = record.published
        if let live = keys.key(published)?.fingerprint, let known = record.publishedKey, live != known {
            events.append(.driftDetected(published, expected: known, actual: live))
        }
        guard let material = keys.material(slot) else {
            // A half answer without the regenerated half: the new value must come from listKeys.
            record.step = .publishing(slot: slot, final: final)
            return .listKeys
        }
        events.append(.keyRegenerated(slot, fingerprint: material.fingerprint))
        record.step = .publishing(slot: slot, final: final)
        return .publish(material)
    }

    /// Reports that the secret file durably holds `material`; `fileDigest` is the digest of its bytes.
    public mutating func published(_ material: KeyMaterial, fileDigest: KeyFingerprint, now: Date) -> Action {
        // The file holds the key now: no step ahead publishes from these keys again (a regeneration
        // brings its own), so they leave memory rather than linger with every idle resource.
        state = .resting
        let slot = material.slot
        events.append(.published(slot, fingerprint: material.fingerprint))
        switch record.step {
        case .adopting:
            record.published = slot
            record.setUnpublished(slot, at: nil)
            record.setUnpublished(slot.other, at: now)
            record.publishedKey = material.fingerprint
            record.publishedFile = fileDigest
            record.step = .idle
            record.nextDue = Schedule.nextDue(after: now, every: policy.every, jitter: policy.jitter, sample: random.next())
            succeeded()
            return .sleep(until: record.nextDue)
        case .idle, .grace, .regenerating:
            // A repair of the published file.
            record.publishedKey = material.fingerprint
            record.publishedFile = fileDigest
            succeeded()
            return resume(now: now, fileIntact: true)
        case .publishing(_, let final):
            let previous = record.published
            if previous != slot { record.setUnpublished(previous, at: now) }
            record.setUnpublished(slot, at: nil)
            record.published = slot
            record.publishedKey = material.fingerprint
            record.publishedFile = fileDigest
            succeeded()
            if final || previous == slot {
                // An emergency declared during this rotation leaked the keys this rotation started
                // from: it ends only with a rotation begun after it, which starts right away.
                let emergencyPending = record.emergencySince.map { since in (record.rotationStartedAt ?? now) < since } ?? false
                record.step = .idle
                record.lastRotation = now
                record.rotations += 1
                record.rotationStartedAt = nil
                if !emergencyPending { record.emergencySince = nil }
                record.nextDue = Schedule.nextDue(after: now, every: policy.every, jitter: policy.jitter, sample: random.next())
                events.append(.rotationCompleted(published: slot))
                return emergencyPending ? resume(now: now, fileIntact: true) : .sleep(until: record.nextDue)
            }
            let until = record.emergencySince == nil ? now.addingTimeInterval(policy.grace.seconds) : now
            record.step = .grace(until: until, regenerate: previous)
            return resume(now: now, fileIntact: true)
        }
    }

    /// Reports that the last action failed. The step stays, so the retry repeats it.
    public mutating func failed(_ error: any Error, now: Date) -> Action {
        record.consecutiveFailures += 1
        let delay = Schedule.retryDelay(
            failures: record.consecutiveFailures,
            initial: policy.retryInitial,
            maximum: policy.retryMax,
            sample: random.next()
        )
        record.retryAt = now.addingTimeInterval(delay.seconds)
        record.lastError = String(describing: error)
        record.lastErrorAt = now
        events.append(.failed(message: String(describing: error), failures: record.consecutiveFailures))
        return .sleep(until: record.retryAt!)
    }

    // MARK: - Private

    private mutating func succeeded() {
        record.consecutiveFailures = 0
        record.retryAt = nil
        record.lastError = nil
        record.lastErrorAt = nil
    }

    private mutating func repair() -> Action {
        events.append(.fileRepairNeeded)
        return .listKeys
    }

    private mutating func beginRotation(now: Date) -> Action {
        let standby = record.published.other
        // An emergency replaces both keys, whatever the strategy.
        let final = policy.strategy == .alternate && record.emergencySince == nil
        events.append(.rotationStarted(standby: standby))
        record.rotationStartedAt = now
        record.step = .regenerating(slot: standby, final: final)
        return regenerate(standby, now: now)
    }

    /// `nil` when a regeneration may start at `now`; else the instant it may (the next window
    /// opening, plus with `jitter` a random delay within that window), recorded for status.
    private mutating func waitForWindow(now: Date, jitter: Bool) -> Date? {
        guard let windows = policy.windows, let opening = windows.nextOpening(atOrAfter: now) else {
            record.windowOpensAt = nil
            return nil
        }
        if opening <= now, record.windowOpensAt.map({ now >= $0 }) ?? true {
            record.windowOpensAt = nil
            return nil
        }
        if let waiting = record.windowOpensAt, waiting > now, windows.contains(waiting) { return waiting }
        var start = opening
        if jitter, policy.jitter > .zero {
            // Inside the window: at most the jitter, and never past a tenth short of its closing.
            let room = min(policy.jitter.seconds, windows.closing(after: opening).timeIntervalSince(opening) * 0.9)
            start = opening.addingTimeInterval(room * Double(random.next() % 1_000_000) / 1_000_000)
        }
        record.windowOpensAt = start
        return start
    }

    /// The invariant guard every regeneration passes through.
    private mutating func regenerate(_ slot: KeySlot, now: Date) -> Action {
        guard let earliest = record.earliestRegeneration(of: slot, grace: policy.grace) else {
            return failed(
                Failure(
                    description: "refusing to regenerate the \(slot) key: it is the published key (state record inconsistent; run `keyrotd status`)"
                ),
                now: now
            )
        }
        if now < earliest {
            guard record.emergencySince != nil else { return .sleep(until: earliest) }
            events.append(.regeneratingWithoutGrace(slot))
        }
        // Emergencies ignore maintenance windows; every other regeneration starts inside one.
        if record.emergencySince == nil, let opening = waitForWindow(now: now, jitter: false) { return .sleep(until: opening) }
        return .regenerate(slot)
    }
}
