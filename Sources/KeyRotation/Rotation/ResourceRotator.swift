import FoundationEssentials
import Logging

/// Drives one resource's ``RotationMachine`` against the real world: ARM through a ``KeyProvider``,
/// the secret file through a ``SecretPublisher``, consumers through ``ConsumerConfirmations``, and
/// the durable record through the environment's ``StateStore``.
///
/// An actor, so one resource never runs two steps at once. Thousands exist at once, so it holds only
/// what is its own; what all share is one ``RotatorEnvironment``.
public actor ResourceRotator {
    /// The configured resource name.
    public nonisolated let name: String
    private var machine: RotationMachine
    /// The machine's revision last persisted (0 for a record loaded from the store, which a new
    /// record's machine is ahead of).
    private var savedRevision: UInt64 = 0
    private let provider: any KeyProvider
    private let publisher: any SecretPublisher
    private let verifier: (any KeyVerifier)?
    private let confirmations: ConsumerConfirmations?
    /// The steps running now, cancelled when the daemon replaces this rotator (a changed resource
    /// on reload) or forgets it.
    private var running: Task<Date, Never>?
    /// Who is watching this resource's steps (a `keyrotd rotate` through the control socket).
    private var observers: [UInt64: AsyncStream<StepReport>.Continuation] = [:]
    private var nextObserver: UInt64 = 0
    /// Failed steps since the daemon started (the metrics file's counter).
    private var failures = 0
    private let environment: RotatorEnvironment

    /// Loads the resource's stored record (or prepares adoption) and wires the dependencies.
    public init(
        name: String,
        recordID: String,
        policy: RotationPolicy,
        provider: any KeyProvider,
        publisher: any SecretPublisher,
        verifier: (any KeyVerifier)? = nil,
        confirmations: ConsumerConfirmations? = nil,
        environment: RotatorEnvironment,
        random: SplitMix64 = SplitMix64()
    ) throws {
        let logger = environment.logger
        var record = try environment.store.load(name)
        if let stored = record, stored.resourceID.lowercased() != recordID.lowercased() {
            logger.warning(
                "stored state belongs to another resource id; adopting this resource afresh (no key is regenerated)",
                metadata: .fields([.resource: .string(name), .storedID: .string(stored.resourceID)])
            )
            record = nil
        }
        self.name = name
        self.machine = RotationMachine(record: record, resourceID: recordID, policy: policy, now: environment.clock.now(), random: random)
        self.provider = provider
        self.publisher = publisher
        self.verifier = verifier
        self.confirmations = confirmations
        self.environment = environment
        if let step = record?.step, step != .idle {
            logger.log(.resumed, "resuming interrupted step", [.resource: .string(name), .step: .string(step.name)])
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
        let clock = environment.clock
        // Nothing published yet (an adoption) needs no look at the outputs: in a group that look is
        // a Key Vault read, and a new leader's first wave of adoptions would wait on hundreds.
        var intact = false
        if let published = machine.record.publishedFile { intact = await publisher.currentDigest() == published }
        var action = machine.resume(now: clock.now(), fileIntact: intact, rotateNow: rotateNow, emergency: emergency)
        /// When the last regenerate answer arrived: the publish event carries how long the key took
        /// to be durably published (the benchmark reports its percentiles).
        var regeneratedAt: ContinuousClock.Instant?
        while true {
            flushEvents(publishLatency: nil)
            if machine.revision != savedRevision {
                do {
                    try await environment.store.save(machine.record, for: name)
                    savedRevision = machine.revision
                } catch {
                    // Acting without a durable record could break the invariant after a crash: stop here.
                    action = machine.failed(error, now: clock.now())
                    flushEvents(publishLatency: nil)
                    if case .sleep(let until) = action { return until }
                    return clock.now()
                }
            }
            do {
                switch action {
                case .sleep(let until):
                    return until
                case .listKeys:
                    action = machine.listed(try await provider.listKeys(), now: clock.now())
                case .confirmConsumers(let slot, let fingerprint):
                    let missing = await confirmations?.unconfirmed(fingerprint, resource: name, slot: slot) ?? []
                    action = machine.consumersAnswered(unconfirmed: missing, now: clock.now())
                case .regenerate(let slot):
                    try await environment.mutationGuard?.permit(within: environment.mutationHorizon)
                    let keys: AccessKeys
                    if let added = provider as? any AddedCredentialProvider, let startedAt = machine.record.rotationStartedAt {
                        keys = try await added.addKey(slot, rotationStartedAt: startedAt)
                    } else {
                        keys = try await provider.regenerateKey(slot) { operation in try await self.journal(operation) }
                    }
                    regeneratedAt = .now
                    action = machine.regenerated(slot, keys: keys, now: clock.now())
                case .resumeRegeneration(let operation):
                    let outcome = try await provider.resumeRegeneration(operation)
                    if case .completed = outcome { regeneratedAt = .now }
                    action = machine.resumed(outcome, now: clock.now())
                case .publish(let material):
                    // Only a newly regenerated key needs proving; adoption and repairs publish keys in use.
                    if let verifier, case .publishing? = machine.record.rotation?.phase { try await verifier.verify(material) }
                    try await environment.mutationGuard?.permit(within: environment.mutationHorizon)
                    let digest = try await publisher.publish(material, step: machine.record.step)
                    action = machine.published(material, fileDigest: digest, now: clock.now())
                    flushEvents(publishLatency: regeneratedAt.map { .now - $0 })
                    regeneratedAt = nil
                case .retire(let slot):
                    guard let added = provider as? any AddedCredentialProvider else { throw CredentialModelMismatch(action: "a removal") }
                    try await environment.mutationGuard?.permit(within: environment.mutationHorizon)
                    try await added.retireKey(slot)
                    action = machine.retired(slot, now: clock.now())
                case .recover(let fingerprint, let slot):
                    guard let added = provider as? any AddedCredentialProvider else { throw CredentialModelMismatch(action: "a recovery") }
                    var material: KeyMaterial?
                    if let secret = await publisher.recover(fingerprint) { material = try await added.material(slot, secret: secret) }
                    action = machine.recovered(material, now: clock.now())
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
    private func journal(_ operation: LongRunningOperation) async throws {
        machine.accepted(operation)
        try await environment.store.save(machine.record, for: name)
        savedRevision = machine.revision
        environment.logger.log(
            .operationAccepted,
            "ARM accepted the regeneration of the \(operation.slot) key; following the operation",
            [.resource: .string(name), .key: .string(operation.slot.rawValue)]
        )
    }

    /// Logs the machine's events and shows them to observers; a publish carries `publishLatency`.
    private func flushEvents(publishLatency: Duration?) {
        let step = machine.record.step
        for event in machine.drainEvents() {
            if case .failed = event { failures += 1 }
            var fields = event.fields
            fields[.resource] = .string(name)
            fields[.step] = .string(step.name)
            if case .published = event, let publishLatency {
                fields[.publishLatencyMicroseconds] = .stringConvertible(Int((publishLatency / .microseconds(1)).rounded()))
            }
            environment.logger.log(event.journalEvent, "\(event.message)", fields)
            for observer in observers.values { observer.yield(StepReport(event: event, message: event.message, step: step)) }
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
    public func waitReason() -> WaitReason? { machine.waitReason(now: environment.clock.now()) }

    /// This resource's figures for the metrics file; `type` is its resource type's name.
    public func metrics(type: String) -> ResourceMetrics {
        ResourceMetrics(name: name, type: type, record: machine.record, failures: failures, waitReason: waitReason())
    }
}
