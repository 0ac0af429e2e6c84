import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Testing

/// An emulator, an HTTP client and a directory for credential files: what the Blob Storage tests
/// run against. ``run(_:)`` closes all three however the test ends (an unclosed HTTP client stops
/// the whole test process).
struct BlobHarness {
    let emulator: Emulator
    let transport: AsyncHTTPClientTransport
    let directory: String

    /// Runs `body` on a fresh harness.
    static func run(_ body: (BlobHarness) async throws -> Void) async throws {
        var configuration = EmulatorConfiguration()
        configuration.resources = 1
        let emulator = try await Emulator.start(configuration)
        let transport = AsyncHTTPClientTransport(extraCAFile: emulator.info.caFile)
        let directory = NSTemporaryDirectory() + "blob-\(UUID().uuidString.prefix(8))"
        let harness = BlobHarness(emulator: emulator, transport: transport, directory: directory)
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            try await body(harness)
        } catch {
            await harness.stop()
            throw error
        }
        await harness.stop()
    }

    /// A client of `container` as the writer principal (or the read-only one).
    func client(_ container: String, reader: Bool = false, retry: RetryPolicy = RetryPolicy()) throws -> BlobStorageClient {
        let info = emulator.info
        let (id, secret) = reader ? (info.readerClientID, info.readerClientSecret) : (info.clientID, info.clientSecret)
        try secret.write(toFile: directory + "/" + id, atomically: true, encoding: .utf8)
        let endpoint = try EntraTokenEndpoint(
            authorityHost: URL(string: info.baseURL)!,
            tenant: info.tenant,
            clientID: id,
            transport: transport,
            sleep: { try await Task.sleep(for: $0) }
        )
        return try BlobStorageClient(
            containerURL: URL(string: info.blobServiceURL + "/" + container)!,
            credential: CachedCredential(source: ClientSecretSource(endpoint: endpoint, secretFile: directory + "/" + id)),
            transport: transport,
            retry: retry,
            sleep: { try await Task.sleep(for: $0) },
            logger: Logger(label: "test")
        )
    }

    /// POSTs one of the emulator's test controls, which answer 204.
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

    private func stop() async {
        try? await transport.shutdown()
        try? await emulator.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }
}
