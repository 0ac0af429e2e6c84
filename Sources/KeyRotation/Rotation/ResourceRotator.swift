import FoundationEssentials
import Logging

/// Drives one resource's ``RotationMachine`` against the real world: ARM through a ``KeyProvider``,
/// the secret file through a ``SecretPublisher``, and the durable record through a ``StateStore``.
///
/// An actor, so one resource never runs two steps at once.
public actor ResourceRotator {
    /// The configured resource name.
    public nonisolated let name: String
    private var machine: RotationMachine
    /// The machine's revision last persisted; `nil` when the record has never been stored.
    private var savedRevision: UInt64?
    /// When the last regenerate answer arrived, and how long until its key was durably published
    /// (logged with the publish event; the benchmark reports its percentiles).
    private var regeneratedAt: ContinuousClock.Instant?
    private var publishLatency: Duration?
    private let provider: any KeyProvider
    private let publisher: any SecretPublisher
    private let verifier: (any KeyVerifier)?
    private let confirmations: ConsumerConfirmations?
    /// Whether the consumers were found unconfirmed at the last check (to log the wait once).
    private var awaitingConfirmation = false
    /// The steps running now, cancelled when the daemon replaces this rotator (a changed resource
    /// on reload) or forgets it.
    private var running: Task<Date, Never>?
    /// Who is watching this resource's steps (a `keyrotd rotate` through the control socket).
    private var observers: [UInt64: AsyncStream<StepReport>.Continuation] = [:]
    private var nextObserver: UInt64 = 0
    /// Failed steps since the daemon started (the metrics file's counter).
    private var failures = 0
    private let store: any StateStore
    private let clock: any WallClock
    /// The daemon's logger, shared: the resource name goes into each entry's metadata instead of a
    /// per-resource copy of the logger (a metadata dictionary per resource adds up at 10,000).
    private let logger: Logger

    /// Loads the resource's stored record (or prepares adoption) and wires the dependencies.
    public init(
        name: String,
        resourceID: ResourceID,
        policy: RotationPolicy,
        provider: any KeyProvider,
        publisher: any SecretPublisher,
        verifier: (any KeyVerifier)? = nil,
        confirmations: ConsumerConfirmations? = nil,
        store: any StateStore,
        clock: any WallClock,
        logger: Logger,
        random: SplitMix64 = SplitMix64()
    ) throws {
        var record = try store.load(name)
        if let stored = record, stored.resourceID.lowercased() != resourceID.path.lowercased() {
            logger.warning(
                "stored state belongs to another resource id; adopting this resource afresh (no key is regenerated)",
                metadata: ["keyrotd_resource": .string(name), "stored_id": .string(stored.resourceID)]
            )
            record = nil
        }
        self.name = name
        self.machine = RotationMachine(record: record, resourceID: resourceID.path, policy: policy, now: clock.now(), random: random)
        // A new machine is at revision 0: the stored record needs no save, a new one does.
        self.savedRevision = record == nil ? nil : 0
        self.provider = provider
        self.publisher = publisher
        self.verifier = verifier
        self.confirmations = confirmations
        self.store = store
        self.clock = clock
        self.logger = logger
        if let step = record?.step, step != .idle {
            logger.notice(
                "resuming interrupted step",
                metadata: ["keyrotd_resource": .string(name), "keyrotd_step": .string(step.name), "keyrotd_event": "resumed"]
            )
        }
    }

    /// The current durable record.
    public var record: ResourceState { machine.record }

    /// Replaces the policy (after a configuration reload); in-flight steps go on under the new one.
    public func update(policy: RotationPolicy) { machine.policy = policy }

    /// Runs steps until the machine has to wait, and returns when to wake it next.
    ///
    /// - Parameters:
    ///   - rotateNow: start a rotation even if it is not due (the invariant still holds).
    ///   - emergency: the published key leaked: regenerate both keys without waiting for grace.
    public func run(rotateNow: Bool = false, emergency: Bool = false) async -> Date {
        let work = Task { await self.steps(rotateNow: rotateNow, emergency: emergency) }
        running = work
        defer { running = nil }
        return await withTaskCancellationHandler {
            await work.value
        } onCancel: {
            work.cancel()
        }
    }

    /// Cancels the steps running now, at once: their HTTP calls, hooks and sleeps end, and the
    /// recorded step is resumed by whoever runs the resource next.
    public func cancelRunningSteps() {
        running?.cancel()
    }

    private func steps(rotateNow: Bool, emergency: Bool) async -> Date {
        let intact = await publisher.currentDigest() == machine.record.publishedFile && machine.record.publishedFile != nil
        var action = machine.resume(now: clock.now(), fileIntact: intact, rotateNow: rotateNow, emergency: emergency)
        while true {
            flushEvents()
            if machine.revision != savedRevision {
                do {
                    try store.save(machine.record, for: name)
                    savedRevision = machine.revision
                } catch {
                    // Acting without a durable record could break the invariant after a crash: stop here.
                    action = machine.failed(error, now: clock.now())
                    flushEvents()
                    return sleepTarget(action)
                }
            }
            do {
                switch action {
                case .sleep(let until):
                    return until
                case .listKeys:
                    let keys = try await provider.listKeys()
                    action = machine.listed(keys, now: clock.now())
                case .regenerate(let slot):
                    switch await confirmationGate(before: slot) {
                    case .open:
                        break
                    case .wait(let until):
                        return until
                    case .overdue(let alarm):
                        action = machine.failed(alarm, now: clock.now())
                        continue
                    }
                    let keys = try await provider.regenerateKey(slot) { operation in try await self.journal(operation) }
                    regeneratedAt = .now
                    action = machine.regenerated(slot, keys: keys, now: clock.now())
                case .resumeRegeneration(let operation):
                    let outcome = try await provider.resumeRegeneration(operation)
                    if case .completed = outcome { regeneratedAt = .now }
                    action = machine.resumed(outcome, now: clock.now())
                case .publish(let material):
                    // Only a newly regenerated key needs proving; adoption and repairs publish keys in use.
                    if let verifier, case .publishing = machine.record.step { try await verifier.verify(material) }
                    let digest = try await publisher.publish(material, step: machine.record.step)
                    publishLatency = regeneratedAt.map { .now - $0 }
                    regeneratedAt = nil
                    action = machine.published(material, fileDigest: digest, now: clock.now())
                }
            } catch {
                // Shutting down: the recorded step is resumed by the next run. What a cancelled call
                // threw (a cancelled hook, a torn-down request) is no failure of the resource.
                if error is CancellationError || Task.isCancelled { return clock.now() }
                action = machine.failed(error, now: clock.now())
            }
        }
    }

    /// Records a long-running regeneration ARM accepted, durably, before it is polled: after a
    /// crash the next run follows the same operation instead of asking for another.
    private func journal(_ operation: LongRunningOperation) throws {
        machine.accepted(operation)
        try store.save(machine.record, for: name)
        savedRevision = machine.revision
        logger.info(
            "ARM accepted the regeneration of the \(operation.slot) key; following the operation",
            metadata: ["keyrotd_resource": .string(name), "keyrotd_key": .string(operation.slot.rawValue), "keyrotd_event": "operation-accepted"]
        )
    }

    private enum Gate {
        case open
        case wait(until: Date)
        case overdue(ConfirmationOverdue)
    }

    /// Before a key is regenerated, every consumer must have confirmed the published key (when the
    /// resource lists consumers; an emergency does not ask). Until `confirm_timeout` has passed since
    /// the published key was published, keyrotd asks again every few seconds; after it, the step
    /// fails with the alarm and is retried with backoff, and the key stays alive.
    private func confirmationGate(before slot: KeySlot) async -> Gate {
        let record = machine.record
        guard let confirmations, record.emergencySince == nil, let published = record.publishedKey else { return .open }
        let missing = await confirmations.unconfirmed(published, resource: name, slot: record.published)
        var metadata: Logger.Metadata = [
            "keyrotd_resource": .string(name), "keyrotd_key": .string(record.published.rawValue), "keyrotd_fingerprint": .string(published.value),
        ]
        machine.consumersUnconfirmed(missing)
        guard !missing.isEmpty else {
            if awaitingConfirmation { logger.info("every consumer confirmed the \(record.published) key", metadata: metadata) }
            awaitingConfirmation = false
            return .open
        }
        let now = clock.now()
        let publishedAt = record.unpublishedAt(slot) ?? now
        let deadline = publishedAt.addingTimeInterval(confirmations.timeout.seconds)
        if now >= deadline {
            awaitingConfirmation = true
            let waited = Duration.seconds(now.timeIntervalSince(publishedAt))
            return .overdue(ConfirmationOverdue(consumers: missing, slot: record.published, fingerprint: published, waited: waited))
        }
        if !awaitingConfirmation {
            metadata["keyrotd_consumers"] = .string(missing.joined(separator: ", "))
            logger.notice(
                "waiting for consumers to confirm the \(record.published) key before regenerating the \(slot) key",
                metadata: metadata
            )
            awaitingConfirmation = true
        }
        return .wait(until: min(now.addingTimeInterval(ConsumerConfirmations.pollInterval.seconds), deadline))
    }

    private func sleepTarget(_ action: RotationMachine.Action) -> Date {
        if case .sleep(let until) = action { return until }
        return clock.now()
    }

    private func flushEvents() {
        let step = machine.record.step
        for event in machine.drainEvents() {
            if case .failed = event { failures += 1 }
            var metadata: Logger.Metadata = [
                "keyrotd_resource": .string(name), "keyrotd_step": .string(step.name), "keyrotd_event": .string(event.name),
            ]
            let level: Logger.Level
            let message: String
            switch event {
            case .rotationStarted(let standby):
                metadata["keyrotd_key"] = .string(standby.rawValue)
                (level, message) = (.info, "rotation started: regenerating the \(standby) key")
            case .keyRegenerated(let slot, let fingerprint):
                metadata["keyrotd_key"] = .string(slot.rawValue)
                metadata["keyrotd_fingerprint"] = .string(fingerprint.value)
                (level, message) = (.info, "\(slot) key regenerated (\(fingerprint))")
            case .published(let slot, let fingerprint):
                metadata["keyrotd_key"] = .string(slot.rawValue)
                metadata["keyrotd_fingerprint"] = .string(fingerprint.value)
                if let latency = publishLatency {
                    metadata["keyrotd_publish_latency_us"] = .stringConvertible(Int((latency / .microseconds(1)).rounded()))
                    publishLatency = nil
                }
                (level, message) = (.info, "\(slot) key published (\(fingerprint))")
            case .rotationCompleted(let slot):
                metadata["keyrotd_key"] = .string(slot.rawValue)
                metadata["keyrotd_next_due"] = .string(machine.record.nextDue.formatted(.iso8601))
                (level, message) = (.notice, "rotation completed; \(slot) key published")
            case .driftDetected(let slot, let expected, let actual):
                metadata["keyrotd_key"] = .string(slot.rawValue)
                metadata["keyrotd_fingerprint"] = .string(actual.value)
                metadata["keyrotd_expected_fingerprint"] = .string(expected?.value ?? "none")
                (level, message) = (
                    .error,
                    "the published \(slot) key was regenerated outside keyrotd (portal, CLI or another tool); consumers holding it fail until the file is repaired, which keyrotd does now"
                )
            case .emergencyRequested:
                (level, message) = (
                    .critical,
                    "EMERGENCY rotation requested by an operator: both keys are regenerated now, one after the other, without waiting for grace; consumers still holding the old key fail until they reload the secret file"
                )
            case .operationLost(let slot):
                metadata["keyrotd_key"] = .string(slot.rawValue)
                (level, message) = (
                    .notice, "the regeneration of the \(slot) key ARM accepted can no longer be followed; asking again (the key is not published)"
                )
            case .regeneratingWithoutGrace(let slot):
                metadata["keyrotd_key"] = .string(slot.rawValue)
                (level, message) = (
                    .critical,
                    "EMERGENCY: regenerating the \(slot) key without waiting for grace; consumers that have not reloaded the secret file fail from now on"
                )
            case .fileRepairNeeded:
                (level, message) = (.warning, "secret file is missing or was changed on disk; rewriting it from the live keys")
            case .failed(let reason, let failures):
                metadata["keyrotd_failures"] = .stringConvertible(failures)
                if let retry = machine.record.retryAt {
                    metadata["keyrotd_retry_at"] = .string(retry.formatted(.iso8601))
                }
                (level, message) = (.error, "rotation step failed, will retry: \(reason)")
            }
            logger.log(level: level, "\(message)", metadata: metadata)
            for observer in observers.values {
                observer.yield(StepReport(event: event, message: message, step: step))
            }
        }
    }

    /// Streams a ``StepReport`` for every event from now on (for the control socket's `rotate`),
    /// until ``stopObserving(_:)``.
    public func observe() -> (id: UInt64, reports: AsyncStream<StepReport>) {
        let (stream, continuation) = AsyncStream.makeStream(of: StepReport.self, bufferingPolicy: .bufferingNewest(256))
        nextObserver += 1
        observers[nextObserver] = continuation
        return (nextObserver, stream)
    }

    /// Ends the stream of the observer `id`.
    public func stopObserving(_ id: UInt64) {
        observers.removeValue(forKey: id)?.finish()
    }

    /// Why the resource waits now, as its machine says (`nil` while it works or nothing is under way).
    public func waitReason() -> WaitReason? { machine.waitReason(now: clock.now()) }

    /// This resource's figures for the metrics file; `type` is its resource type's name.
    public func metrics(type: String) -> ResourceMetrics {
        ResourceMetrics(name: name, type: type, record: machine.record, failures: failures, waitReason: waitReason())
    }
}
