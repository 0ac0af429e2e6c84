import Foundation
import KeyRotation
import Synchronization

/// A fake ACS resource: two keys, regenerations counted, optional scripted failures.
actor FakeAzure: KeyProvider {
    private(set) var primary = FakeAzure.newKey()
    private(set) var secondary = FakeAzure.newKey()
    private(set) var regenerations: [KeySlot] = []
    private(set) var listCalls = 0
    var failNext = 0
    var halfResponses = true
    let probe: ConcurrencyProbe?

    init(probe: ConcurrencyProbe? = nil) { self.probe = probe }

    static func newKey() -> String { UUID().uuidString + UUID().uuidString }

    func key(_ slot: KeySlot) -> String { slot == .primary ? primary : secondary }

    /// Regenerations answer 202 and are followed (journaled through `accepted`); `crashAfterAccepting`
    /// makes the next one throw once ARM accepted it, as a process killed while polling would stop.
    var longRunning = false
    var crashAfterAccepting = false
    /// How a journaled operation is found after a restart.
    var resumedOutcome: LongRunningOperation.Outcome?
    private(set) var accepted: [LongRunningOperation] = []
    private(set) var resumed: [LongRunningOperation] = []

    func keys(primary p: Bool, secondary s: Bool) -> AccessKeys {
        func key(_ value: String) -> AccessKey {
            AccessKey(
                value: Secret(value),
                connectionString: Secret("endpoint=https://fake/;accesskey=\(value)"),
                endpoint: "https://fake/",
                name: "k"
            )
        }
        return AccessKeys(primary: p ? key(primary) : nil, secondary: s ? key(secondary) : nil)
    }

    func listKeys() async throws -> AccessKeys {
        listCalls += 1
        if failNext > 0 {
            failNext -= 1
            throw FakeError.injected
        }
        return keys(primary: true, secondary: true)
    }

    func regenerateKey(_ slot: KeySlot, accepted: @Sendable (LongRunningOperation) async throws -> Void) async throws -> AccessKeys {
        await probe?.enter()
        await Task.yield()
        await probe?.leave()
        if failNext > 0 {
            failNext -= 1
            throw FakeError.injected
        }
        regenerations.append(slot)
        if slot == .primary { primary = Self.newKey() } else { secondary = Self.newKey() }
        if longRunning {
            let operation = LongRunningOperation(
                slot: slot,
                url: "https://arm/operations/\(regenerations.count)",
                isAsyncOperation: true,
                acceptedAt: Date()
            )
            self.accepted.append(operation)
            try await accepted(operation)
            if crashAfterAccepting {
                crashAfterAccepting = false
                throw CancellationError()
            }
            return AccessKeys()
        }
        return keys(primary: slot == .primary || !halfResponses, secondary: slot == .secondary || !halfResponses)
    }

    func resumeRegeneration(_ operation: LongRunningOperation) async throws -> LongRunningOperation.Outcome {
        resumed.append(operation)
        let outcome = resumedOutcome ?? .completed(keys(primary: true, secondary: true))
        resumedOutcome = nil
        return outcome
    }

    func setLongRunning(_ on: Bool, crashAfterAccepting crash: Bool = false, resumedOutcome outcome: LongRunningOperation.Outcome? = nil) {
        longRunning = on
        crashAfterAccepting = crash
        resumedOutcome = outcome
    }

    func setResumedOutcome(_ outcome: LongRunningOperation.Outcome?) { resumedOutcome = outcome }

    func regenerateOutOfBand(_ slot: KeySlot) {
        if slot == .primary { primary = Self.newKey() } else { secondary = Self.newKey() }
    }

    func setFailNext(_ n: Int) { failNext = n }
}

enum FakeError: Error, CustomStringConvertible {
    case injected
    var description: String { "injected failure" }
}

/// A fake secret file.
actor FakeFile: SecretPublisher {
    private(set) var material: KeyMaterial?
    private(set) var writes = 0

    func currentDigest() async -> KeyFingerprint? {
        material.map { KeyFingerprint(bytes: Array($0.value.exposedValue.utf8)) }
    }

    func recover(_ fingerprint: KeyFingerprint) async -> Secret? {
        material.flatMap { Secret.find(fingerprint, in: $0.value.exposedValue) }
    }

    func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint {
        self.material = material
        writes += 1
        return KeyFingerprint(bytes: Array(material.value.exposedValue.utf8))
    }

    func delete() { material = nil }
}

/// An in-memory state store.
final class MemoryStore: StateStore {
    private let records = Mutex<[String: ResourceState]>([:])

    func load(_ resource: String) throws -> ResourceState? { records.withLock { $0[resource] } }

    func save(_ state: ResourceState, for resource: String) throws {
        records.withLock { $0[resource] = state }
    }
}

/// A group's journal in memory, which a test can fence as a newer leader's takeover would.
actor FakeJournal: GroupJournal {
    private var fenced = false
    private(set) var saved: [String: ResourceState] = [:]

    init(saved: [String: ResourceState] = [:]) { self.saved = saved }

    /// From now on every save is refused, as after a newer leader's takeover.
    func fence() { fenced = true }

    func takeOver(leaseID: String, node: String, resources: [String]) -> JournalSnapshot {
        JournalSnapshot(epoch: 2, records: saved, releasedCleanly: false)
    }

    func save(_ state: ResourceState, for resource: String) throws {
        guard !fenced else { throw JournalFenced(resource: resource, cause: "412 ConditionNotMet") }
        saved[resource] = state
    }

    func release(leaseID: String) {}
}

/// Measures how many calls overlap.
actor ConcurrencyProbe {
    private(set) var current = 0
    private(set) var maximum = 0

    func enter() {
        current += 1
        maximum = max(maximum, current)
    }

    func leave() { current -= 1 }
}

/// An ARM that accepts a regeneration and never answers, until the caller is cancelled.
actor HangingAzure: KeyProvider {
    private(set) var cancelled = false
    private var called = false
    private var callWaiters: [CheckedContinuation<Void, Never>] = []

    func listKeys() async throws -> AccessKeys { try await hang() }
    func regenerateKey(_ slot: KeySlot, accepted: @Sendable (LongRunningOperation) async throws -> Void) async throws -> AccessKeys {
        try await hang()
    }
    func resumeRegeneration(_ operation: LongRunningOperation) async throws -> LongRunningOperation.Outcome {
        let _: AccessKeys = try await hang()
        return .lost
    }

    /// Returns once a call hangs.
    func waitUntilCalled() async {
        if called { return }
        await withCheckedContinuation { callWaiters.append($0) }
    }

    private func hang() async throws -> AccessKeys {
        called = true
        for waiter in callWaiters { waiter.resume() }
        callWaiters.removeAll()
        let (stream, continuation) = AsyncStream.makeStream(of: Never.self)
        _ = continuation
        for await _ in stream {}
        cancelled = true
        throw CancellationError()
    }
}

/// A consumers' check command whose verdicts are scripted, recording the fingerprints it was asked about.
actor ScriptedCheck: HookRunner {
    private var confirms = false
    private(set) var askedFor: [String] = []
    func run(_ hook: HookCommand, environment: [String: String], redacting: [String]) async -> HookResult {
        askedFor.append(environment["KEYROTD_FINGERPRINT"] ?? "")
        return HookResult(termination: .exited(confirms ? 0 : 1))
    }
    func set(_ value: Bool) { confirms = value }
}
