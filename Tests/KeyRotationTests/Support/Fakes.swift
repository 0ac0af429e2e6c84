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

    func keys(primary p: Bool, secondary s: Bool) -> AccessKeys {
        AccessKeys(
            primaryKey: p ? Secret(primary) : nil,
            secondaryKey: s ? Secret(secondary) : nil,
            primaryConnectionString: p ? Secret("endpoint=https://fake/;accesskey=\(primary)") : nil,
            secondaryConnectionString: s ? Secret("endpoint=https://fake/;accesskey=\(secondary)") : nil
        )
    }

    func listKeys() async throws -> AccessKeys {
        listCalls += 1
        if failNext > 0 {
            failNext -= 1
            throw FakeError.injected
        }
        return keys(primary: true, secondary: true)
    }

    func regenerateKey(_ slot: KeySlot) async throws -> AccessKeys {
        await probe?.enter()
        await Task.yield()
        await probe?.leave()
        if failNext > 0 {
            failNext -= 1
            throw FakeError.injected
        }
        regenerations.append(slot)
        if slot == .primary { primary = Self.newKey() } else { secondary = Self.newKey() }
        return keys(primary: slot == .primary || !halfResponses, secondary: slot == .secondary || !halfResponses)
    }

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
        material.map { KeyFingerprint(bytes: Array($0.connectionString.exposedValue.utf8)) }
    }

    func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint {
        self.material = material
        writes += 1
        return KeyFingerprint(bytes: Array(material.connectionString.exposedValue.utf8))
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
    func regenerateKey(_ slot: KeySlot) async throws -> AccessKeys { try await hang() }

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
