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
    /// The emulator, a transport, and a client on container `group` as the writer principal.
    struct Harness {
        let emulator: Emulator
        let transport: AsyncHTTPClientTransport
        let client: BlobStorageClient
        let directory: String

        static func start() async throws -> Harness {
            var configuration = EmulatorConfiguration()
            configuration.resources = 1
            let emulator = try await Emulator.start(configuration)
            let transport = AsyncHTTPClientTransport(extraCAFile: emulator.info.caFile)
            let directory = NSTemporaryDirectory() + "journal-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try emulator.info.clientSecret.write(toFile: directory + "/secret", atomically: true, encoding: .utf8)
            let endpoint = try EntraTokenEndpoint(
                authorityHost: URL(string: emulator.info.baseURL)!,
                tenant: emulator.info.tenant,
                clientID: emulator.info.clientID,
                transport: transport,
                sleep: { try await Task.sleep(for: $0) }
            )
            let client = try BlobStorageClient(
                containerURL: URL(string: emulator.info.blobServiceURL + "/group")!,
                credential: CachedCredential(source: ClientSecretSource(endpoint: endpoint, secretFile: directory + "/secret")),
                transport: transport,
                retry: RetryPolicy(maxAttempts: 1),
                sleep: { try await Task.sleep(for: $0) },
                logger: Logger(label: "test")
            )
            _ = try await client.createContainer()
            return Harness(emulator: emulator, transport: transport, client: client, directory: directory)
        }

        func control(_ path: String) async throws {
            let response = try await transport.send(
                HTTPRequestData(method: "POST", url: URL(string: emulator.info.baseURL + "/_emulator/" + path)!),
                timeout: .seconds(10)
            )
            #expect(response.status == 204, "\(path)")
        }

        /// The emulator's storage request and byte counters.
        func storageCounters() async throws -> (requests: Int, bytes: Int) {
            let response = try await transport.send(
                HTTPRequestData(method: "GET", url: URL(string: emulator.info.baseURL + "/_emulator/stats")!),
                timeout: .seconds(10)
            )
            let stats = try #require(try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any])
            return (stats["storageRequests"] as? Int ?? -1, stats["storageBytesWritten"] as? Int ?? -1)
        }

        func stop() async {
            try? await transport.shutdown()
            try? await emulator.shutdown()
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    static func record(_ name: String, at seconds: Double) -> ResourceState {
        ResourceState(
            resourceID: "/subscriptions/s/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/\(name)",
            adoptedAt: Date(timeIntervalSince1970: seconds)
        )
    }

    @Test func aTakeoverFencesTheOlderLeaderAndKeepsItsRecords() async throws {
        let harness = try await Harness.start()
        do {
            try await takeover(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    private func takeover(_ h: Harness) async throws {
        let a = BlobLeaseBackend(client: h.client, node: "node-a")
        let b = BlobLeaseBackend(client: h.client, node: "node-b")
        #expect(try await a.observe() == .free)
        let leaseA = try await a.acquire(proposedID: "11111111-1111-4111-8111-111111111111", duration: .seconds(60))
        let journalA = BlobGroupJournal(client: h.client)
        let first = try await journalA.takeOver(leaseID: leaseA, node: "node-a", resources: ["r1", "r2"])
        #expect(first == JournalSnapshot(epoch: 1, records: [:], releasedCleanly: false))
        try await journalA.save(Self.record("r1", at: 1), for: "r1")
        try await journalA.save(Self.record("r1", at: 2), for: "r1")
        try await journalA.save(Self.record("r2", at: 3), for: "r2")

        // A pauses; its lease is broken (as if it expired); B takes the lease and the journal.
        try await h.control("blob-lease?container=group&blob=leader&action=break")
        #expect(try await b.observe() == .free)
        let leaseB = try await b.acquire(proposedID: "22222222-2222-4222-8222-222222222222", duration: .seconds(60))
        let journalB = BlobGroupJournal(client: h.client)
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
        let c = BlobLeaseBackend(client: h.client, node: "node-c")
        #expect(try await c.observe() == .free)
        let leaseC = try await c.acquire(proposedID: "33333333-3333-4333-8333-333333333333", duration: .seconds(60))
        let journalC = BlobGroupJournal(client: h.client)
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
