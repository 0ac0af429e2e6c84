import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Testing

/// The group's lease on a blob, through the emulator's Blob Storage: created on first sight, the
/// holder named, conflicts as ``LeaseConflict`` and other failures as storage errors.
struct BlobLeaseBackendTests {
    @Test func twoNodesShareOneLeaseThroughTheEmulator() async throws {
        try await BlobHarness.run { h in
            let client = try h.client("group-1", retry: RetryPolicy(maxAttempts: 1))
            #expect(try await client.createContainer())
            try await exercise(
                a: BlobLeaseBackend(client: client, node: "node-a"),
                b: BlobLeaseBackend(client: client, node: "node-b"),
                control: h.control
            )
        }
    }

    private func exercise(a: BlobLeaseBackend, b: BlobLeaseBackend, control: (String) async throws -> Void) async throws {
        #expect(try await a.observe() == .free)
        #expect(try await b.observe() == .free)
        let first = "11111111-1111-4111-8111-111111111111"
        #expect(try await a.acquire(proposedID: first, duration: .seconds(15)) == first)
        #expect(try await b.observe() == .held(by: "node-a"))
        let taken = await #expect(throws: LeaseConflict.self) {
            try await b.acquire(proposedID: "22222222-2222-4222-8222-222222222222", duration: .seconds(15))
        }
        #expect(taken?.code == "LeaseAlreadyPresent")
        try await a.renew(id: first)
        // A 503 or a 403 on renewal is a failure to retry, not a conflict.
        try await control("storage-fault?answer=403&on=lease&count=1")
        let refused = await #expect(throws: BlobStorageError.self) { try await a.renew(id: first) }
        #expect(refused?.code == "AuthorizationFailure" && refused?.isConflict == false)
        // Someone breaks the lease: the holder's next renewal is a conflict, and b may take it.
        try await control("blob-lease?container=group-1&blob=leader&action=break")
        let lost = await #expect(throws: LeaseConflict.self) { try await a.renew(id: first) }
        #expect(lost?.code == "LeaseIsBrokenAndCannotBeRenewed")
        #expect(try await b.observe() == .free)
        let second = "33333333-3333-4333-8333-333333333333"
        #expect(try await b.acquire(proposedID: second, duration: .seconds(15)) == second)
        #expect(try await a.observe() == .held(by: "node-b"))
        try await b.release(id: second)
        #expect(try await a.observe() == .free)
    }
}
