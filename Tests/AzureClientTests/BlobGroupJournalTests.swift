import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Testing

/// The group's journal in the emulator's Blob Storage: a takeover raises the epoch and fences
/// every record, so an older leader's writes are refused; records survive a change of leader; a
/// clean release is noted; a step costs one small write whatever the number of resources.
struct BlobGroupJournalTests {
    static func record(_ name: String, at seconds: Double) -> ResourceState {
        ResourceState(
            resourceID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/\(name)",
            adoptedAt: Date(timeIntervalSince1970: seconds)
        )
    }

    @Test func aTakeoverFencesTheOlderLeaderAndKeepsItsRecords() async throws {
        try await BlobHarness.run { h in
            let client = try h.client("group", retry: RetryPolicy(maxAttempts: 1))
            _ = try await client.createContainer()
            try await takeover(h, client)
        }
    }

    private func takeover(_ h: BlobHarness, _ client: BlobStorageClient) async throws {
        let a = BlobLeaseBackend(client: client, node: "node-a")
        let b = BlobLeaseBackend(client: client, node: "node-b")
        #expect(try await a.observe() == .free)
        let leaseA = try await a.acquire(proposedID: "11111111-1111-4111-8111-111111111111", duration: .seconds(60))
        let journalA = BlobGroupJournal(client: client)
        let first = try await journalA.takeOver(leaseID: leaseA, node: "node-a", resources: ["r1", "r2"])
        #expect(first == JournalSnapshot(epoch: 1, records: [:], releasedCleanly: false))
        // A brand-new journal has no older leader to fence: no record blob is written at takeover.
        #expect(try await client.list(prefix: "records/").isEmpty)
        try await journalA.save(Self.record("r1", at: 1), for: "r1")
        try await journalA.save(Self.record("r1", at: 2), for: "r1")
        try await journalA.save(Self.record("r2", at: 3), for: "r2")

        // A pauses; its lease is broken (as if it expired); B takes the lease and the journal.
        try await h.control("blob-lease?container=group&blob=leader&action=break")
        #expect(try await b.observe() == .free)
        let leaseB = try await b.acquire(proposedID: "22222222-2222-4222-8222-222222222222", duration: .seconds(60))
        let journalB = BlobGroupJournal(client: client)
        let second = try await journalB.takeOver(leaseID: leaseB, node: "node-b", resources: ["r1", "r4"])
        #expect(second.epoch == 2 && !second.releasedCleanly)
        #expect(second.records == ["r1": Self.record("r1", at: 2), "r2": Self.record("r2", at: 3)])

        // Every write A still attempts is refused: records it wrote, and one B created for its configuration.
        for resource in ["r1", "r2", "r4"] {
            await #expect(throws: JournalFenced.self, "\(resource)") { try await journalA.save(Self.record(resource, at: 9), for: resource) }
        }
        await #expect(throws: BlobStorageError.self) { try await journalA.release(leaseID: leaseA) }
        try await journalB.save(Self.record("r1", at: 10), for: "r1")

        // One step, one small write: the same with 3 records as with 200.
        let before = try await h.storageCounters()
        try await journalB.save(Self.record("r1", at: 11), for: "r1")
        let after = try await h.storageCounters()
        #expect(after.requests - before.requests == 1)
        let bytesPerStep = after.bytes - before.bytes
        #expect(bytesPerStep > 0 && bytesPerStep < 1024)

        // B stops cleanly: C finds the journal released, every record, and epoch 3; 200 resources
        // cost C two requests each to fence, and then one write per step as before.
        try await journalB.release(leaseID: leaseB)
        try await b.release(id: leaseB)
        let c = BlobLeaseBackend(client: client, node: "node-c")
        #expect(try await c.observe() == .free)
        let leaseC = try await c.acquire(proposedID: "33333333-3333-4333-8333-333333333333", duration: .seconds(60))
        let journalC = BlobGroupJournal(client: client)
        let many = (0..<200).map { "m\($0)" }
        let third = try await journalC.takeOver(leaseID: leaseC, node: "node-c", resources: many)
        #expect(third.epoch == 3 && third.releasedCleanly && third.records["r1"] == Self.record("r1", at: 11))
        let large = try await h.storageCounters()
        try await journalC.save(Self.record("m7", at: 12), for: "m7")
        let step = try await h.storageCounters()
        #expect(step.requests - large.requests == 1 && step.bytes - large.bytes == bytesPerStep)
        await #expect(throws: JournalFenced.self) { try await journalB.save(Self.record("r1", at: 13), for: "r1") }
    }
}
