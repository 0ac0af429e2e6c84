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
        var configuration = EmulatorConfiguration()
        configuration.resources = 1
        let emulator = try await Emulator.start(configuration)
        let transport = AsyncHTTPClientTransport(extraCAFile: emulator.info.caFile)
        let directory = NSTemporaryDirectory() + "blob-lease-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        do {
            try emulator.info.clientSecret.write(toFile: directory + "/secret", atomically: true, encoding: .utf8)
            let endpoint = try EntraTokenEndpoint(
                authorityHost: URL(string: emulator.info.baseURL)!,
                tenant: emulator.info.tenant,
                clientID: emulator.info.clientID,
                transport: transport,
                sleep: { try await Task.sleep(for: $0) }
            )
            let client = try BlobStorageClient(
                containerURL: URL(string: emulator.info.blobServiceURL + "/group-1")!,
                credential: CachedCredential(source: ClientSecretSource(endpoint: endpoint, secretFile: directory + "/secret")),
                transport: transport,
                retry: RetryPolicy(maxAttempts: 1),
                sleep: { try await Task.sleep(for: $0) },
                logger: Logger(label: "test")
            )
            #expect(try await client.createContainer())
            try await exercise(
                a: BlobLeaseBackend(client: client, node: "node-a"),
                b: BlobLeaseBackend(client: client, node: "node-b"),
                control: { path in
                    let response = try await transport.send(
                        HTTPRequestData(method: "POST", url: URL(string: emulator.info.baseURL + "/_emulator/" + path)!),
                        timeout: .seconds(10)
                    )
                    #expect(response.status == 204, "\(path)")
                }
            )
        } catch {
            try? await transport.shutdown()
            try? await emulator.shutdown()
            throw error
        }
        try await transport.shutdown()
        try await emulator.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
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
