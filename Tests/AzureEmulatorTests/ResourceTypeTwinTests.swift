import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Testing

/// keyrotd's ``ResourceType`` descriptors against the emulator's independent twins, one type at a
/// time through ``ARMKeyProvider``: both keys listed with what consumers need, each key regenerated
/// alone (the other unchanged), long-running regenerations journaled before their keys are read.
struct ResourceTypeTwinTests {
    /// Collects the operations a provider hands over for journaling.
    actor Journal {
        private(set) var operations: [LongRunningOperation] = []
        func record(_ operation: LongRunningOperation) { operations.append(operation) }
    }

    /// An emulator with one resource of twin `name`, and keyrotd's provider of it.
    func twin(_ name: String, operationDuration: Duration) async throws -> (EmulatorHarness, ResourceID, ARMKeyProvider) {
        let h = try await EmulatorHarness {
            $0.types = [EmulatedType.named(name)!]
            $0.resources = 1
            $0.operationDuration = operationDuration
        }
        let id = h.resource()
        // Maps and AI Search name no endpoint: the configuration gives the emulator's, as --write-config does.
        let named: Bool =
            switch id.type.endpoint {
            case .fixed, .nameInDomain: true
            default: false
            }
        let endpoint = URL(string: h.emulator.info.baseURL + (id.type.name == "maps" ? "/maps" : "/\(id.type.name)/\(id.resourceName)"))
        let provider = ARMKeyProvider(
            client: h.arm(),
            id: id,
            pair: .readWrite,
            apiVersion: id.type.apiVersion,
            cloud: .azureCloud,
            endpoint: named ? endpoint : nil
        )
        return (h, id, provider)
    }

    @Test(arguments: EmulatedType.all.map(\.name))
    func everyTypeListsAndRegeneratesEachKeyAlone(name: String) async throws {
        let (h, id, provider) = try await twin(name, operationDuration: .milliseconds(50))
        let type = id.type
        #expect(type.name == EmulatedType.named(name)!.family)
        let before = try await provider.listKeys()
        let primary = try #require(before.primary)
        #expect(before.secondary != nil)
        #expect(!primary.endpoint.isEmpty && !primary.name.isEmpty)
        if case .none = type.connectionString {
            #expect(primary.connectionString == nil)
        } else {
            let connectionString = try #require(primary.connectionString)
            #expect(connectionString.exposedValue.contains(primary.value.exposedValue))
        }
        let journal = Journal()
        var current = before
        for slot in [KeySlot.secondary, .primary] {
            let answer = try await provider.regenerateKey(slot) { await journal.record($0) }
            let after = try await provider.listKeys()
            #expect(after[slot]?.value != current[slot]?.value, "the \(slot) key changed")
            #expect(after[slot.other]?.value == current[slot.other]?.value, "the other key did not")
            if let answered = answer[slot] { #expect(answered.value == after[slot]?.value) }
            current = after
        }
        let journaled = await journal.operations
        let twin = EmulatedType.named(name)!
        #expect(!twin.longRunning || type.longRunning, "keyrotd knows the type may answer 202")
        #expect(journaled.map(\.slot) == (twin.longRunning ? [.secondary, .primary] : []), "each 202 journaled before it is polled")
        try await h.shutdown()
    }

    /// Every type's data-plane check accepts the live keys and refuses one regenerated away, against
    /// the emulator's data plane of that type.
    @Test(arguments: EmulatedType.all.map(\.name))
    func everyDataPlaneAcceptsLiveKeysAndRefusesDeadOnes(name: String) async throws {
        let (h, id, provider) = try await twin(name, operationDuration: .milliseconds(20))
        let client = DataPlaneClient(transport: h.transport, extraCAFile: h.emulator.info.caFile, sleep: { try await Task.sleep(for: $0) })
        let before = try await provider.listKeys()
        let primary = try #require(before.material(.primary)), secondary = try #require(before.material(.secondary))
        #expect(await client.check(primary, id: id) == .accepted)
        #expect(await client.check(secondary, id: id) == .accepted)
        _ = try await provider.regenerateKey(.secondary) { _ in }
        guard case .denied = await client.check(secondary, id: id) else {
            Issue.record("a key regenerated away must be refused")
            return
        }
        let after = try #require(try await provider.listKeys().material(.secondary))
        #expect(await client.check(after, id: id) == .accepted)
        #expect(await client.check(primary, id: id) == .accepted)
        try await h.shutdown()
    }

    /// A journaled operation is followed after a restart; once ARM forgot it, that is said.
    @Test func aJournaledOperationIsFollowedToItsEnd() async throws {
        let h = try await EmulatorHarness {
            $0.types = [.named("cosmosdb")!]
            $0.resources = 1
            $0.operationDuration = .milliseconds(300)
        }
        let id = h.resource()
        let provider = ARMKeyProvider(client: h.arm(), id: id, pair: .readOnly, apiVersion: id.type.apiVersion, cloud: .azureCloud)
        let before = try await provider.listKeys()
        let journal = Journal()
        let regeneration = Task { try await provider.regenerateKey(.primary) { await journal.record($0) } }
        // The process "dies" while polling: the journaled operation is all a new one has.
        var operation: LongRunningOperation?
        for _ in 0..<200 where operation == nil {
            operation = await journal.operations.first
            try await Task.sleep(for: .milliseconds(5))
        }
        regeneration.cancel()
        let journaled = try #require(operation)
        guard case .completed(let keys) = try await provider.resumeRegeneration(journaled) else {
            Issue.record("the operation should complete")
            return
        }
        #expect(keys.primary?.value != before.primary?.value)
        #expect(keys.secondary?.value == before.secondary?.value)
        var unknown = journaled
        unknown.url = journaled.url.replacing(/operationStatuses\/[0-9a-f-]+/, with: "operationStatuses/00000000-0000-0000-0000-000000000000")
        #expect(try await provider.resumeRegeneration(unknown) == .lost)
        try await h.shutdown()
    }
}
