import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Testing

/// The Blob Storage client: Storage tokens, the lease and write headers, conflicts as typed
/// errors with Storage's code and request id, conditional writes never sent twice blindly; and a
/// round trip through the emulator's Blob Storage.
struct BlobStorageClientTests {
    static let container = URL(string: "https://acct.blob.core.windows.net/keyrotd")!
    static let lease = "11111111-1111-4111-8111-111111111111"

    func client(_ transport: ScriptedTransport, _ credential: StaticCredential = StaticCredential(), retry: RetryPolicy = RetryPolicy(maxAttempts: 3))
        throws -> BlobStorageClient
    {
        try BlobStorageClient(
            containerURL: Self.container,
            credential: credential,
            transport: transport,
            retry: RetryPolicy(maxAttempts: retry.maxAttempts, base: .milliseconds(1), cap: .milliseconds(2)),
            sleep: { _ in },
            logger: Logger(label: "test")
        )
    }

    static func header(_ request: HTTPRequestData, _ name: String) -> String? {
        request.headers.first { $0.0.lowercased() == name.lowercased() }?.1
    }

    @Test func acquireSendsTheLeaseHeadersWithAStorageToken() async throws {
        let transport = ScriptedTransport([.respond(201, [("x-ms-lease-id", Self.lease), ("ETag", "\"0x1\"")], "")])
        let credential = StaticCredential()
        let id = try await client(transport, credential).acquireLease("group/leader", duration: .seconds(15), proposedID: Self.lease)
        #expect(id == Self.lease)
        let request = try #require(await transport.requests.first)
        #expect(request.method == "PUT" && request.url.absoluteString == "https://acct.blob.core.windows.net/keyrotd/group/leader?comp=lease")
        #expect(Self.header(request, "x-ms-lease-action") == "acquire" && Self.header(request, "x-ms-lease-duration") == "15")
        #expect(Self.header(request, "x-ms-proposed-lease-id") == Self.lease)
        #expect(Self.header(request, "x-ms-version") == BlobStorageClient.version && Self.header(request, "x-ms-date") != nil)
        #expect(Self.header(request, "Authorization") == "Bearer token-1")
        #expect(await credential.scopes == ["https://storage.azure.com/.default"])
    }

    @Test func aConflictIsATypedErrorWithStoragesCodeAndRequestID() async throws {
        let body =
            #"<?xml version="1.0" encoding="utf-8"?><Error><Code>LeaseIdMismatchWithLeaseOperation</Code><Message>The lease ID specified did not match the lease ID for the blob.&#10;RequestId:r-1</Message></Error>"#
        let transport = ScriptedTransport([
            .respond(409, [("x-ms-error-code", "LeaseIdMismatchWithLeaseOperation"), ("x-ms-request-id", "r-1")], body)
        ])
        let error = await #expect(throws: BlobStorageError.self) { try await client(transport).renewLease("group/leader", id: Self.lease) }
        let refused = try #require(error)
        #expect(refused.isConflict && refused.status == 409 && refused.code == "LeaseIdMismatchWithLeaseOperation")
        #expect(refused.requestID == "r-1")
        #expect(String(describing: refused).contains("renewLease of https://acct.blob.core.windows.net/keyrotd/group/leader failed: HTTP 409"))
        #expect(await transport.requests.count == 1)
    }

    /// A write conditional on an ETag whose answer was lost is not sent again: the second one
    /// would be refused (the ETag changed), or land twice.
    @Test func aConditionalWriteIsNeverSentTwiceBlindly() async throws {
        let transport = ScriptedTransport([.respond(503, [("x-ms-error-code", "ServerBusy")], "")])
        await #expect(throws: OutcomeUnknown.self) {
            try await client(transport).put("records", data: Array("{}".utf8), condition: .ifMatch("\"0x1\""), leaseID: Self.lease)
        }
        let request = try #require(await transport.requests.first)
        #expect(Self.header(request, "If-Match") == "\"0x1\"" && Self.header(request, "x-ms-lease-id") == Self.lease)
        #expect(Self.header(request, "x-ms-blob-type") == "BlockBlob")
        #expect(await transport.requests.count == 1)
        let retried = ScriptedTransport([.respond(503, [], ""), .respond(201, [("ETag", "\"0x2\"")], "")])
        #expect(try await client(retried).put("records", data: [], condition: .none) == "\"0x2\"")
        #expect(await retried.requests.count == 2)
    }

    @Test func propertiesReadTheLeaseAndMetadataAndAMissingBlobIsNil() async throws {
        let transport = ScriptedTransport([
            .respond(
                200,
                [("ETag", "\"0x5\""), ("x-ms-lease-state", "leased"), ("x-ms-meta-Leader", "node-a"), ("Content-Length", "42")],
                ""
            ),
            .respond(404, [("x-ms-error-code", "BlobNotFound")], ""),
        ])
        let client = try client(transport)
        let properties = try await client.properties("group/leader")
        #expect(properties == .init(etag: "\"0x5\"", leaseState: .leased, metadata: ["leader": "node-a"], contentLength: 42))
        #expect(properties?.leaseState.isFree == false)
        #expect(try await client.properties("group/leader") == nil)
    }

    @Test func onlyHTTPSOrALoopbackEmulatorIsAccepted() throws {
        for url in ["http://acct.blob.core.windows.net/keyrotd", "https://acct.blob.core.windows.net", "ftp://127.0.0.1/c"] {
            #expect(throws: BlobStorageError.self) {
                try BlobStorageClient(
                    containerURL: URL(string: url)!,
                    credential: StaticCredential(),
                    transport: ScriptedTransport([]),
                    sleep: { _ in },
                    logger: Logger(label: "test")
                )
            }
        }
        let local = try BlobStorageClient(
            containerURL: URL(string: "http://127.0.0.1:10000/devstoreaccount1/keyrotd/")!,
            credential: StaticCredential(),
            transport: ScriptedTransport([]),
            sleep: { _ in },
            logger: Logger(label: "test")
        )
        #expect(local.url("group/a b") == "http://127.0.0.1:10000/devstoreaccount1/keyrotd/group/a%20b")
    }

    /// Through the emulator: a container, a blob created once, a lease, writes fenced by the lease
    /// and by the writer's own ETag, and a reader refused writes.
    @Test func roundTripsThroughTheEmulatorsBlobStorage() async throws {
        try await BlobHarness.run { h in try await roundTrip(writer: try h.client("keyrotd"), reader: try h.client("keyrotd", reader: true)) }
    }

    /// A listing longer than a page comes in pages of 500 that the client follows to the end
    /// (one page of Azure's default 5,000 outgrows the 1 MiB a response may have).
    @Test func aLongListingIsReadPageByPage() async throws {
        try await BlobHarness.run { h in
            let client = try h.client("many")
            _ = try await client.createContainer()
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<1_100 {
                    group.addTask { _ = try await client.put("records/r\(i)", data: Array("{}".utf8), condition: .none) }
                    if i % 32 == 31 { try await group.waitForAll() }
                }
                try await group.waitForAll()
            }
            let before = try await h.storageCounters()
            let names = try await client.list(prefix: "records/")
            let pages = try await h.storageCounters().requests - before.requests
            #expect(names.count == 1_100 && Set(names).count == 1_100 && names.allSatisfy { $0.hasPrefix("records/r") })
            #expect(pages == 3)
        }
    }

    private func roundTrip(writer: BlobStorageClient, reader: BlobStorageClient) async throws {
        #expect(try await writer.createContainer())
        #expect(try await !writer.createContainer())
        #expect(try await writer.properties("group/leader") == nil)
        let created = try await writer.put("group/leader", data: Array("{}".utf8), condition: .ifNotExists, metadata: ["leader": "node-a"])
        let again = await #expect(throws: BlobStorageError.self) { try await writer.put("group/leader", data: [], condition: .ifNotExists) }
        #expect(again?.code == "BlobAlreadyExists")
        let id = try await writer.acquireLease("group/leader", duration: .seconds(15), proposedID: Self.lease)
        #expect(id == Self.lease)
        let properties = try #require(try await writer.properties("group/leader"))
        #expect(properties.leaseState == .leased && properties.etag == created && properties.metadata == ["leader": "node-a"])
        let unleased = await #expect(throws: BlobStorageError.self) { try await writer.put("group/leader", data: [], condition: .ifMatch(created)) }
        #expect(unleased?.code == "LeaseIdMissing" && unleased?.isConflict == true)
        let second = try await writer.put("group/leader", data: Array(#"{"epoch":2}"#.utf8), condition: .ifMatch(created), leaseID: id)
        let stale = await #expect(throws: BlobStorageError.self) {
            try await writer.put("group/leader", data: [], condition: .ifMatch(created), leaseID: id)
        }
        #expect(stale?.code == "ConditionNotMet")
        try await writer.renewLease("group/leader", id: id)
        let read = try #require(try await writer.get("group/leader", leaseID: id))
        #expect(String(decoding: read.data, as: UTF8.self) == #"{"epoch":2}"# && read.etag == second)
        let denied = await #expect(throws: BlobStorageError.self) { try await reader.put("other", data: [], condition: .none) }
        #expect(denied?.status == 403 && denied?.advice?.contains("Storage Blob Data Contributor") == true)
        #expect(try await reader.get("group/leader")?.etag == second)
        #expect(try await writer.breakLease("group/leader", period: .zero) == 0)
        #expect(try await writer.properties("group/leader")?.leaseState == .broken)
        let next = try await writer.acquireLease("group/leader", duration: .seconds(60), proposedID: "22222222-2222-4222-8222-222222222222")
        try await writer.releaseLease("group/leader", id: next)
        #expect(try await writer.properties("group/leader")?.leaseState.isFree == true)
    }
}
