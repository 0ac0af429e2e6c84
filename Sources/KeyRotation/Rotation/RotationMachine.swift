import FoundationEssentials

/// The rotation state machine of one resource.
///
/// It owns the durable ``ResourceState`` and returns the next ``Action`` to take. The caller must
/// persist ``record`` whenever it changed *before* performing the action: that is what makes every
/// step recoverable. The invariant it keeps: a key is regenerated only when it is not the published
/// key and has not been published for at least `grace` (an operator's emergency excepted).
public struct RotationMachine: Sendable {
    /// What the caller must do next.
    public enum Action: Sendable, Equatable {
        /// Read both live keys (`listKeys`) and call ``RotationMachine/listed(_:now:)``.
        case listKeys
        /// Ask the consumers whether they run on the `published` key (fingerprint `fingerprint`) and
        /// call ``RotationMachine/consumersAnswered(unconfirmed:now:)`` with those that do not.
        case confirmConsumers(published: KeySlot, fingerprint: KeyFingerprint)
        /// Regenerate `slot` and call ``RotationMachine/regenerated(_:keys:now:)``; journal a
        /// long-running regeneration with ``RotationMachine/accepted(_:)``.
        case regenerate(KeySlot)
        /// Follow the journaled regeneration to its end and call ``RotationMachine/resumed(_:now:)``.
        case resumeRegeneration(LongRunningOperation)
        /// Write the secret file and call ``RotationMachine/published(_:fileDigest:now:)``.
        case publish(KeyMaterial)
        /// Remove `slot`'s credential (``CredentialModel/addAndRemove``) and call
        /// ``RotationMachine/retired(_:now:)``.
        case retire(KeySlot)
        /// Look in the outputs for `slot`'s secret with this fingerprint (``CredentialModel/addAndRemove``:
        /// its upstream cannot show it again) and call ``RotationMachine/recovered(_:now:)``.
        case recover(KeyFingerprint, slot: KeySlot)
        /// Nothing to do before `until`.
        case sleep(until: Date)
    }

    /// Errors the machine detects in responses or records.
    public struct Failure: CodedError, Sendable, CustomStringConvertible {
        /// What went wrong, for the operator.
        public var description: String
        /// `ARM's code` for a regeneration ARM reported failed, `internal` for an inconsistent record.
        public var code: String
    }

    /// What the machine holds in memory only; a restart starts again at `resting`.
    private enum State: Sendable {
        /// Waiting for the caller to resume.
        case resting
        /// Holding the keys of the last ARM answer, for publishing without another `listKeys`.
        /// Indirect: the keys are two optional keys, and every idle resource carries this enum.
        indirect case holding(AccessKeys)
        /// The regeneration at hand waits for these consumers to confirm the published key.
        case awaitingConsumers([String])
    }

    /// The durable record; persist it whenever it changes (``revision`` tells), before acting.
    public private(set) var record: ResourceState {
        didSet { if record != oldValue { revision &+= 1 } }
    }
    /// Counts the changes to ``record``. A caller that remembers the revision it last persisted
    /// knows whether it must persist again without keeping a copy of the record. A stored record
    /// starts at 0, a new one at 1: unsaved against a caller that starts at 0.
    public private(set) var revision: UInt64
    /// The resource's policy; may be replaced on reload.
    public var policy: RotationPolicy
    /// Events since the caller last drained them.
    public private(set) var events: [RotationEvent] = []
    private var state: State = .resting
    /// The published secret of an ``CredentialModel/addAndRemove`` credential was lost from every
    /// output during grace: the rotation under way ends as planned (its replaced secret may still be
    /// in use), and a new one is due the moment it does. In memory only: after a restart the
    /// outputs are found wanting again.
    private var replaceWhenDone = false
    private var random: SplitMix64

    /// Creates the machine from a stored record, or for a new resource when `record` is `nil`.
    /// The record carries `resourceID`, the configured id's string shared with the configuration and
    /// the provider, in place of its decoded copy (the same id, perhaps in another case): a path per
    /// resource is hundreds of bytes.
    public init(record: ResourceState?, resourceID: String, policy: RotationPolicy, now: Date, random: SplitMix64 = SplitMix64()) {
        self.revision = record == nil ? 1 : 0
        var record = record ?? ResourceState(resourceID: resourceID, adoptedAt: now)
        record.resourceID = resourceID
        self.record = record
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
    ///     break the invariant. Remembered in the rotation until it completes.
    public mutating func resume(now: Date, fileIntact: Bool, rotateNow: Bool = false, emergency: Bool = false) -> Action {
        if emergency, record.step != .adopting, record.emergencySince == nil {
            events.append(.emergencyRequested)
            record.retry?.at = now
            guard case .rotating(var rotation) = record.step else { return beginRotation(now: now, emergency: now) }
            rotation.emergencySince = now
            record.step = .rotating(rotation)
        }
        if let retry = record.retry, now < retry.at, !rotateNow { return .sleep(until: retry.at) }
        switch record.step {
        case .adopting:
            guard policy.model == .addAndRemove else { return .listKeys }
            // Nothing of keyrotd's is published yet: the first rotation adds the primary credential.
            record.published = .secondary
            return beginRotation(now: now, emergency: nil)
        case .idle:
            if !fileIntact { return repair(now: now) }
            if rotateNow || now >= record.nextDue { return beginRotation(now: now, emergency: nil) }
            return .sleep(until: record.nextDue)
        case .rotating(let rotation):
            switch rotation.phase {
            case .regenerating(let regeneration):
                if let operation = regeneration.operation { return .resumeRegeneration(operation) }
                return regenerate(now: now)
            case .publishing(let slot, _):
                if case .holding(let keys) = state, let material = keys.material(slot) { return .publish(material) }
                guard policy.model == .addAndRemove else { return .listKeys }
                if let pending = rotation.pending { return .recover(pending, slot: slot) }
                setPhase(.regenerating(Regeneration(slot: slot, final: false)))
                return regenerate(now: now)
            case .grace(let until, let slot):
                if !fileIntact { return repair(now: now) }
                if now < until, rotation.emergencySince == nil { return .sleep(until: until) }
                guard policy.model == .addAndRemove else {
                    setPhase(.regenerating(Regeneration(slot: slot, final: true)))
                    return regenerate(now: now)
                }
                setPhase(.retiring(slot))
                return retire(now: now)
            case .retiring:
                if !fileIntact { return repair(now: now) }
                return retire(now: now)
            }
        }
    }

    /// Why the resource waits at `now`; `nil` while it has work to do, or when nothing is under way.
    public func waitReason(now: Date) -> WaitReason? {
        if let retry = record.retry, retry.at > now { return .retry(at: retry.at, lastError: retry.lastError.message) }
        guard let rotation = record.rotation, rotation.emergencySince == nil else { return nil }
        switch rotation.phase {
        case .grace(let until, let slot) where until > now:
            return .grace(until: until, then: slot)
        case .retiring(let slot):
            if case .awaitingConsumers(let consumers) = state { return .consumersUnconfirmed(consumers, slot: slot) }
            if let earliest = record.earliestRegeneration(of: slot, grace: policy.grace), earliest > now {
                return .invariant(slot: slot, until: earliest)
            }
            return nil
        case .regenerating(let regeneration):
            if let opensAt = regeneration.windowOpensAt, opensAt > now { return .window(opensAt: opensAt) }
            if case .awaitingConsumers(let consumers) = state { return .consumersUnconfirmed(consumers, slot: regeneration.slot) }
            if let earliest = record.earliestRegeneration(of: regeneration.slot, grace: policy.grace), earliest > now {
                return .invariant(slot: regeneration.slot, until: earliest)
            }
            return nil
        default:
            return nil
        }
    }

    /// What a rotation asked for at `now` would do (an `emergency` one: both keys without grace),
    /// by the rules ``resume(now:fileIntact:rotateNow:emergency:)`` applies.
    public func plan(now: Date, emergency: Bool = false) -> RotationPlan {
        if policy.model == .addAndRemove { return additionPlan(now: now, emergency: emergency) }
        switch record.step {
        case .adopting:
            return RotationPlan(steps: [.adopt(publish: policy.strategy == .full ? .primary : record.published)])
        case .idle:
            break
        case .rotating:
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
        steps += consumerWait(before: standby) + [.regenerate(standby), .publish(standby)]
        if policy.strategy == .full {
            steps += [.grace(policy.grace)] + consumerWait(before: published) + [.regenerate(published), .publish(published)]
        }
        return RotationPlan(steps: steps)
    }

    /// The plan of an ``CredentialModel/addAndRemove`` credential: add to the free slot, publish,
    /// grace, then remove the replaced credential.
    private func additionPlan(now: Date, emergency: Bool) -> RotationPlan {
        if case .rotating = record.step { return RotationPlan(steps: [.resume(record.step)]) }
        let adopting = record.step == .adopting
        let published = adopting ? KeySlot.secondary : record.published
        let standby = published.other
        var steps: [RotationPlan.Step] = []
        if !emergency, let windows = policy.windows, !windows.contains(now), let opening = windows.nextOpening(atOrAfter: now) {
            steps.append(.wait(.window(opensAt: opening)))
        }
        steps += [.regenerate(standby), .publish(standby)]
        steps += emergency ? [] : [.grace(policy.grace)] + consumerWait(before: published)
        return RotationPlan(steps: steps + [.retire(published)])
    }

    private func consumerWait(before slot: KeySlot) -> [RotationPlan.Step] {
        guard let consumers = policy.consumers else { return [] }
        return [.wait(.consumersUnconfirmed(consumers.names, slot: slot))]
    }

    /// Feeds the answer of `listKeys`.
    public mutating func listed(_ keys: AccessKeys, now: Date) -> Action {
        state = .holding(keys)
        let slot: KeySlot
        switch (record.step, record.rotation?.phase) {
        case (.adopting, _):
            slot = policy.strategy == .full ? .primary : record.published
        case (_, .publishing(let s, _)?):
            slot = s
        case (_, .regenerating?):
            return regenerate(now: now)
        case (.idle, _), (_, .grace?), (_, .retiring?), (.rotating, nil):
            slot = record.published
            if let live = keys.key(slot)?.fingerprint, let expected = record.publishedKey, live != expected {
                events.append(.driftDetected(slot, expected: expected, actual: live))
            }
        }
        guard let material = keys.material(slot) else {
            return failed(Failure(description: "listKeys answered without the \(slot) key", code: "incomplete-answer"), now: now)
        }
        return .publish(material)
    }

    /// Feeds which consumers have not confirmed the published key (none: all have), after
    /// ``Action/confirmConsumers(published:fingerprint:)``. Until the policy's timeout has passed since
    /// the key was published they are asked again every few seconds; after it the step fails with the
    /// alarm and is retried with backoff, and the key they may still use stays alive.
    public mutating func consumersAnswered(unconfirmed missing: [String], now: Date) -> Action {
        guard let removing = removalSlot, let consumers = policy.consumers, let fingerprint = record.publishedKey else {
            return failed(Failure(description: "internal: a consumer answer in step \(record.step)", code: "internal"), now: now)
        }
        let waiting: Bool
        if case .awaitingConsumers = state { waiting = true } else { waiting = false }
        guard !missing.isEmpty else {
            state = .resting
            if waiting { events.append(.consumersConfirmed(record.published)) }
            return policy.model == .addAndRemove ? .retire(removing) : .regenerate(removing)
        }
        state = .awaitingConsumers(missing)
        let publishedAt = record.unpublishedAt(removing) ?? now
        let deadline = publishedAt.addingTimeInterval(consumers.timeout.seconds)
        if now >= deadline {
            let overdue = ConfirmationOverdue(
                consumers: missing,
                slot: record.published,
                fingerprint: fingerprint,
                waited: .seconds(now.timeIntervalSince(publishedAt))
            )
            return failed(overdue, now: now)
        }
        if !waiting { events.append(.awaitingConsumers(missing, published: record.published, regenerating: removing)) }
        return .sleep(until: min(now.addingTimeInterval(RotationPolicy.ConsumerWait.pollInterval.seconds), deadline))
    }

    /// Journals that ARM accepted the regeneration at hand as a long-running operation: persist
    /// ``record`` before polling it.
    public mutating func accepted(_ operation: LongRunningOperation) {
        guard var regeneration = record.rotation?.regeneration, regeneration.slot == operation.slot else { return }
        regeneration.operation = operation
        setPhase(.regenerating(regeneration))
    }

    /// Feeds how a journaled regeneration ended.
    public mutating func resumed(_ outcome: LongRunningOperation.Outcome, now: Date) -> Action {
        guard var regeneration = record.rotation?.regeneration, regeneration.operation != nil else {
            return failed(Failure(description: "internal: a resumed regeneration in step \(record.step)", code: "internal"), now: now)
        }
        switch outcome {
        case .completed(let keys):
            return regenerated(regeneration.slot, keys: keys, now: now)
        case .lost:
            regeneration.operation = nil
            setPhase(.regenerating(regeneration))
            events.append(.operationLost(regeneration.slot))
            return regenerate(now: now)
        case .failed(let reason):
            regeneration.operation = nil
            setPhase(.regenerating(regeneration))
            let failure = Failure(description: "ARM's regeneration of the \(regeneration.slot) key failed: \(reason)", code: "regeneration-failed")
            return failed(failure, now: now)
        }
    }

    /// Feeds the answer of `regenerateKey(slot)`.
    public mutating func regenerated(_ slot: KeySlot, keys: AccessKeys, now: Date) -> Action {
        guard let regeneration = record.rotation?.regeneration, regeneration.slot == slot else {
            return failed(Failure(description: "internal: regenerate answer for \(slot) in step \(record.step)", code: "internal"), now: now)
        }
        state = .holding(keys)
        record.regenerations += 1
        setPhase(.publishing(slot: slot, final: regeneration.final))
        let published = record.published
        if let live = keys.key(published)?.fingerprint, let known = record.publishedKey, live != known {
            events.append(.driftDetected(published, expected: known, actual: live))
        }
        // A half answer without the regenerated half: the new value must come from listKeys.
        guard let material = keys.material(slot) else {
            guard policy.model == .addAndRemove else { return .listKeys }
            return failed(Failure(description: "the answer of the addition holds no secret", code: "incomplete-answer"), now: now)
        }
        if policy.model == .addAndRemove, case .rotating(var rotation) = record.step {
            rotation.pending = material.fingerprint
            record.step = .rotating(rotation)
        }
        events.append(.keyRegenerated(slot, fingerprint: material.fingerprint))
        return .publish(material)
    }

    /// Reports that the secret file durably holds `material`; `fileDigest` is the digest of its bytes.
    public mutating func published(_ material: KeyMaterial, fileDigest: KeyFingerprint, now: Date) -> Action {
        // The file holds the key now: no step ahead publishes from these keys again (a regeneration
        // brings its own), so they leave memory rather than linger with every idle resource.
        state = .resting
        let slot = material.slot
        events.append(.published(slot, fingerprint: material.fingerprint))
        record.publishedKey = material.fingerprint
        record.publishedFile = fileDigest
        record.retry = nil
        switch record.step {
        case .adopting:
            record.published = slot
            record.setUnpublished(slot, at: nil)
            record.setUnpublished(slot.other, at: now)
            record.step = .idle
            scheduleNext(after: now)
            return .sleep(until: record.nextDue)
        case .rotating(let rotation):
            guard case .publishing(_, let final) = rotation.phase else { break }
            let previous = record.published
            if previous != slot { record.setUnpublished(previous, at: now) }
            record.setUnpublished(slot, at: nil)
            record.published = slot
            guard final || previous == slot else {
                let until = rotation.emergencySince == nil ? now.addingTimeInterval(policy.grace.seconds) : now
                setPhase(.grace(until: until, then: previous))
                return resume(now: now, fileIntact: true)
            }
            return completeRotation(rotation, published: slot, now: now)
        case .idle:
            break
        }
        // A repair of the published file.
        return resume(now: now, fileIntact: true)
    }

    /// Reports that `slot`'s credential was removed (or was gone already), which ends the rotation.
    public mutating func retired(_ slot: KeySlot, now: Date) -> Action {
        guard let rotation = record.rotation, case .retiring(let retiring) = rotation.phase, retiring == slot else {
            return failed(Failure(description: "internal: a removal of \(slot) in step \(record.step)", code: "internal"), now: now)
        }
        record.retry = nil
        events.append(.keyRetired(slot))
        return completeRotation(rotation, published: record.published, now: now)
    }

    /// Feeds what the outputs hold of the secret ``Action/recover(_:)`` asked for (`nil`: no output
    /// holds it). Found, it is published (again); else the secret is gone: a mid-publish one is
    /// replaced by a new addition (no output holds it, so no consumer does), and a published one
    /// by a rotation.
    public mutating func recovered(_ material: KeyMaterial?, now: Date) -> Action {
        if let material { return .publish(material) }
        switch (record.step, record.rotation?.phase) {
        case (.rotating, .publishing(let slot, _)?):
            guard case .rotating(var rotation) = record.step else { break }
            rotation.pending = nil
            rotation.phase = .regenerating(Regeneration(slot: slot, final: false))
            record.step = .rotating(rotation)
            events.append(.operationLost(slot))
            return regenerate(now: now)
        case (.idle, _):
            return beginRotation(now: now, emergency: nil)
        default:
            break
        }
        // A rotation in grace or retiring whose published secret no output holds any more: the
        // rotation finishes, then another starts at once.
        replaceWhenDone = true
        return resume(now: now, fileIntact: true)
    }

    /// Reports that the last action failed. The step stays, so the retry repeats it.
    public mutating func failed(_ error: any Error, now: Date) -> Action {
        let failures = record.consecutiveFailures + 1
        let delay = Schedule.retryDelay(failures: failures, initial: policy.retryInitial, maximum: policy.retryMax, sample: random.next())
        let retry = Retry(at: now.addingTimeInterval(delay.seconds), failures: failures, lastError: RecordedError(error, at: now))
        record.retry = retry
        events.append(.failed(retry))
        return .sleep(until: retry.at)
    }

    // MARK: - Private

    private mutating func setPhase(_ phase: Rotation.Phase) {
        guard case .rotating(var rotation) = record.step else { return }
        rotation.phase = phase
        record.step = .rotating(rotation)
    }

    private mutating func scheduleNext(after now: Date) {
        record.nextDue = Schedule.nextDue(after: now, every: policy.every, jitter: policy.jitter, sample: random.next())
    }

    private mutating func repair(now: Date) -> Action {
        events.append(.fileRepairNeeded)
        guard policy.model == .addAndRemove else { return .listKeys }
        guard let published = record.publishedKey else { return beginRotation(now: now, emergency: nil) }
        return .recover(published, slot: record.published)
    }

    /// The rotation ends with `slot` published.
    private mutating func completeRotation(_ rotation: Rotation, published slot: KeySlot, now: Date) -> Action {
        record.step = .idle
        record.lastRotation = now
        record.rotations += 1
        scheduleNext(after: now)
        if replaceWhenDone {
            replaceWhenDone = false
            record.nextDue = now
        }
        events.append(.rotationCompleted(published: slot, nextDue: record.nextDue))
        // An emergency declared during this rotation leaked the keys it started from: it ends
        // only with a rotation begun after it, which starts right away.
        if let since = rotation.emergencySince, rotation.startedAt < since { return beginRotation(now: now, emergency: since) }
        return .sleep(until: record.nextDue)
    }

    /// The slot a consumer confirmation gates: the one a regeneration replaces, or an
    /// ``CredentialModel/addAndRemove`` credential's one being removed.
    private var removalSlot: KeySlot? {
        guard let rotation = record.rotation else { return nil }
        if case .retiring(let slot) = rotation.phase { return slot }
        return rotation.regeneration?.slot
    }

    /// The guard a removal passes through: the invariant, then (emergencies aside) the consumers'
    /// confirmation of the published secret.
    private mutating func retire(now: Date) -> Action {
        guard let rotation = record.rotation, case .retiring(let slot) = rotation.phase else {
            return failed(Failure(description: "internal: a removal in step \(record.step)", code: "internal"), now: now)
        }
        guard let earliest = record.earliestRegeneration(of: slot, grace: policy.grace) else {
            let description = "refusing to remove the \(slot) credential: it is the published one (state record inconsistent; run `keyrotd status`)"
            return failed(Failure(description: description, code: "internal"), now: now)
        }
        if rotation.emergencySince != nil {
            if now < earliest { events.append(.regeneratingWithoutGrace(slot)) }
            return .retire(slot)
        }
        if now < earliest { return .sleep(until: earliest) }
        if policy.consumers != nil, let fingerprint = record.publishedKey {
            return .confirmConsumers(published: record.published, fingerprint: fingerprint)
        }
        return .retire(slot)
    }

    /// Starts a rotation by regenerating the standby key; an `emergency` (declared at that instant)
    /// replaces both keys, whatever the strategy, and waits for no window.
    private mutating func beginRotation(now: Date, emergency: Date?) -> Action {
        let standby = record.published.other
        let final = policy.model == .keyPair && policy.strategy == .alternate && emergency == nil
        var regeneration = Regeneration(slot: standby, final: final)
        if emergency == nil { regeneration.windowOpensAt = windowStart(now: now, jitter: true, waiting: nil) }
        events.append(.rotationStarted(standby: standby))
        record.step = .rotating(Rotation(startedAt: now, emergencySince: emergency, phase: .regenerating(regeneration)))
        return regenerate(now: now)
    }

    /// `nil` when a regeneration may start at `now`; else the instant it may: the next window
    /// opening, plus with `jitter` a random delay within that window. `waiting` is the instant
    /// already chosen, kept while it is ahead and inside a window.
    private mutating func windowStart(now: Date, jitter: Bool, waiting: Date?) -> Date? {
        guard let windows = policy.windows, let opening = windows.nextOpening(atOrAfter: now) else { return nil }
        if opening <= now, waiting.map({ now >= $0 }) ?? true { return nil }
        if let waiting, waiting > now, windows.contains(waiting) { return waiting }
        guard jitter, policy.jitter > .zero else { return opening }
        // Inside the window: at most the jitter, and never past a tenth short of its closing.
        let room = min(policy.jitter.seconds, windows.closing(after: opening).timeIntervalSince(opening) * 0.9)
        return opening.addingTimeInterval(room * Double(random.next() % 1_000_000) / 1_000_000)
    }

    /// The guard every regeneration passes through: the invariant, then (emergencies aside) the
    /// maintenance window and the consumers' confirmation.
    private mutating func regenerate(now: Date) -> Action {
        guard let rotation = record.rotation, var regeneration = rotation.regeneration else {
            return failed(Failure(description: "internal: a regeneration in step \(record.step)", code: "internal"), now: now)
        }
        let slot = regeneration.slot
        // An addition replaces nothing a consumer may hold: the invariant guards the removal.
        if policy.model == .addAndRemove {
            guard slot != record.published || record.publishedKey == nil else {
                return failed(Failure(description: "internal: an addition to the published \(slot) slot", code: "internal"), now: now)
            }
            guard rotation.emergencySince == nil else { return .regenerate(slot) }
            regeneration.windowOpensAt = windowStart(now: now, jitter: false, waiting: regeneration.windowOpensAt)
            setPhase(.regenerating(regeneration))
            if let opening = regeneration.windowOpensAt { return .sleep(until: opening) }
            return .regenerate(slot)
        }
        guard let earliest = record.earliestRegeneration(of: slot, grace: policy.grace) else {
            let description = "refusing to regenerate the \(slot) key: it is the published key (state record inconsistent; run `keyrotd status`)"
            return failed(Failure(description: description, code: "internal"), now: now)
        }
        if now < earliest {
            guard rotation.emergencySince != nil else { return .sleep(until: earliest) }
            events.append(.regeneratingWithoutGrace(slot))
            return .regenerate(slot)
        }
        guard rotation.emergencySince == nil else { return .regenerate(slot) }
        regeneration.windowOpensAt = windowStart(now: now, jitter: false, waiting: regeneration.windowOpensAt)
        setPhase(.regenerating(regeneration))
        if let opening = regeneration.windowOpensAt { return .sleep(until: opening) }
        if policy.consumers != nil, let fingerprint = record.publishedKey {
            return .confirmConsumers(published: record.published, fingerprint: fingerprint)
        }
        return .regenerate(slot)
    }
}
