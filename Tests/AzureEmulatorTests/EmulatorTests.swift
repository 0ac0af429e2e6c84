import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Synchronization
import Testing

/// A started emulator with a client that trusts its CA, for one test.
struct EmulatorHarness {
    let emulator: Emulator
    let transport: AsyncHTTPClientTransport
    let secretFile: String
    /// Every harness's HTTP client stays referenced until the process ends: one that a failing test
    /// left open would otherwise stop the whole test process in AsyncHTTPClient's deinit check,
    /// hiding the failure behind a crash.
    private static let clients = Mutex<[AsyncHTTPClientTransport]>([])

    init(_ configure: (inout EmulatorConfiguration) -> Void = { _ in }) async throws {
        var configuration = EmulatorConfiguration()
        configuration.resources = 2
        configuration.seed = 42
        configure(&configuration)
        emulator = try await Emulator.start(configuration)
        transport = AsyncHTTPClientTransport(extraCAFile: emulator.info.caFile)
        Self.clients.withLock { [transport] in $0.append(transport) }
        secretFile = NSTemporaryDirectory() + "emu-secret-\(UUID().uuidString.prefix(8))"
        try emulator.info.clientSecret.write(toFile: secretFile, atomically: true, encoding: .utf8)
    }

    var base: URL { URL(string: emulator.info.baseURL)! }

    func entra(clientID: String? = nil, tenant: String? = nil, transport: (any HTTPTransport)? = nil) -> EntraTokenEndpoint {
        try! EntraTokenEndpoint(
            authorityHost: base,
            tenant: tenant ?? emulator.info.tenant,
            clientID: clientID ?? emulator.info.clientID,
            transport: transport ?? self.transport,
            retry: RetryPolicy(maxAttempts: 2, base: .milliseconds(10)),
            sleep: { try await Task.sleep(for: $0) }
        )
    }

    func credential(clientID: String? = nil, tenant: String? = nil) -> CachedCredential {
        CachedCredential(source: ClientSecretSource(endpoint: entra(clientID: clientID, tenant: tenant), secretFile: secretFile))
    }

    func stats() async throws -> [String: Any] {
        let response = try await raw("GET", "/_emulator/stats")
        return try JSONSerialization.jsonObject(with: Data(response.body)) as? [String: Any] ?? [:]
    }

    func arm(_ credential: (any TokenCredential)? = nil, scope: String? = nil) -> ARMClient {
        ARMClient(
            endpoint: base,
            scope: scope ?? emulator.info.baseURL + "/.default",
            credential: credential ?? self.credential(),
            transport: transport,
            retry: RetryPolicy(maxAttempts: 3, base: .milliseconds(10), cap: .milliseconds(50)),
            sleep: { try await Task.sleep(for: $0) },
            logger: Logger(label: "test")
        )
    }

    func resource(_ index: Int = 0) -> ResourceID { ResourceID(parsing: emulator.info.resources[index])! }

    func raw(_ method: String, _ path: String, headers: [(String, String)] = [], body: String = "") async throws -> HTTPResponseData {
        try await transport.send(
            HTTPRequestData(method: method, url: URL(string: emulator.info.baseURL + path)!, headers: headers, body: Array(body.utf8)),
            // Generous: the in-process emulator shares two cooperative threads with every other suite.
            timeout: .seconds(60)
        )
    }

    func bearer() async throws -> String {
        "Bearer " + (try await credential().token(scope: emulator.info.baseURL + "/.default")).token.exposedValue
    }

    func shutdown() async throws {
        try await transport.shutdown()
        try await emulator.shutdown()
    }

    /// Runs `body` on a new harness and shuts it down however `body` ends, so a failing test leaves
    /// no emulator running.
    static func with(
        _ configure: (inout EmulatorConfiguration) -> Void = { _ in },
        _ body: (EmulatorHarness) async throws -> Void
    ) async throws {
        let h = try await EmulatorHarness(configure)
        do {
            try await body(h)
        } catch {
            try? await h.shutdown()
            throw error
        }
        try await h.shutdown()
    }
}

struct EmulatorTests {
    @Test func listsRegeneratesWithHalfAnswersAndTheDataPlaneFollowsTheKeys() async throws {
        let h = try await EmulatorHarness()
        let arm = h.arm()
        let before = try await arm.listKeys(h.resource(), apiVersion: "2026-03-18")
        let consumer = ACSDataPlaneClient(transport: h.transport)
        #expect(await consumer.createIdentity(connectionString: before.primary!.connectionString!) == .accepted)
        #expect(await consumer.createIdentity(connectionString: before.secondary!.connectionString!) == .accepted)
        let regenerated = try await arm.regenerateKey(h.resource(), slot: .primary, apiVersion: "2026-03-18")
        #expect(regenerated.secondary == nil)
        #expect(regenerated.primary?.value != before.primary?.value)
        #expect(await consumer.createIdentity(connectionString: before.primary!.connectionString!) == .denied(status: 401))
        #expect(await consumer.createIdentity(connectionString: regenerated.primary!.connectionString!) == .accepted)
        #expect(await consumer.createIdentity(connectionString: before.secondary!.connectionString!) == .accepted)
        let resource = try await arm.resource(h.resource(), apiVersion: "2026-03-18")
        #expect(resource.string(at: ["properties", "provisioningState"]) == "Succeeded")
        try await h.shutdown()
    }

    @Test func matchesPathSegmentsAndKeyTypesCaseInsensitively() async throws {
        let h = try await EmulatorHarness()
        let id = h.resource()
        let path =
            "/SUBSCRIPTIONS/\(id.subscription)/resourcegroups/\(id.resourceGroup.uppercased())/providers/microsoft.communication/COMMUNICATIONSERVICES/\(id.name.uppercased())/REGENERATEKEY?api-version=2026-03-18"
        let response = try await h.raw(
            "POST",
            path,
            headers: [("Authorization", try await h.bearer()), ("Content-Type", "application/json")],
            body: #"{"keyType":"sEcOnDaRy"}"#
        )
        #expect(response.status == 200)
        #expect(response.header("x-ms-request-id") != nil)
        #expect(response.header("x-ms-ratelimit-remaining-subscription-writes") != nil)
        let body = String(decoding: response.body, as: UTF8.self)
        #expect(body.contains("secondaryKey") && !body.contains("primaryKey"))
        try await h.shutdown()
    }

    @Test func answersWithARMErrorCodes() async throws {
        let h = try await EmulatorHarness()
        let id = h.resource()
        let auth = [("Authorization", try await h.bearer())]
        func code(_ r: HTTPResponseData) -> String {
            (((try? JSONSerialization.jsonObject(with: Data(r.body))) as? [String: Any])?["error"] as? [String: Any])?["code"] as? String ?? "?"
        }
        let resourcePath = id.path
        var r = try await h.raw("GET", resourcePath)
        #expect(r.status == 401 && code(r) == "AuthenticationFailed")
        r = try await h.raw("GET", resourcePath, headers: auth)
        #expect(r.status == 400 && code(r) == "MissingApiVersionParameter")
        r = try await h.raw("GET", resourcePath + "?api-version=2099-01-01", headers: auth)
        #expect(r.status == 400 && code(r) == "InvalidApiVersionParameter")
        r = try await h.raw("GET", resourcePath.replacingOccurrences(of: id.resourceGroup, with: "nope") + "?api-version=2026-03-18", headers: auth)
        #expect(r.status == 404 && code(r) == "ResourceGroupNotFound")
        r = try await h.raw("GET", resourcePath.replacingOccurrences(of: id.name, with: "missing") + "?api-version=2026-03-18", headers: auth)
        #expect(r.status == 404 && code(r) == "ResourceNotFound")
        r = try await h.raw("GET", resourcePath + "?api-version=2026-03-18", headers: [("Authorization", "Bearer forged.token")])
        #expect(r.status == 401 && code(r) == "InvalidAuthenticationToken")
        r = try await h.raw("POST", resourcePath + "/regenerateKey?api-version=2026-03-18", headers: auth, body: #"{"keyType":"Tertiary"}"#)
        #expect(r.status == 400)
        try await h.shutdown()
    }

    @Test func aReaderPrincipalGetsAuthorizationFailedAsATypedError() async throws {
        let h = try await EmulatorHarness()
        try h.emulator.info.readerClientSecret.write(toFile: h.secretFile, atomically: true, encoding: .utf8)
        let arm = h.arm(h.credential(clientID: h.emulator.info.readerClientID))
        let error = await #expect(throws: ARMError.self) { try await arm.listKeys(h.resource(), apiVersion: "2026-03-18") }
        #expect(error?.status == 403)
        #expect(error?.code == "AuthorizationFailed")
        #expect(error?.advice != nil)
        try await h.shutdown()
    }

    @Test func expiredTokensAreRefusedAndTheClientRefreshesOnce() async throws {
        let h = try await EmulatorHarness { $0.tokenLifetime = .seconds(2) }
        // The source claims an hour, so the cache keeps the token past the emulator's 2 s: ARM must
        // refuse it with ExpiredAuthenticationToken and the client refresh exactly once.
        let credential = CachedCredential(
            source: OptimisticSource(inner: ClientSecretSource(endpoint: h.entra(), secretFile: h.secretFile))
        )
        let arm = h.arm(credential)
        _ = try await arm.listKeys(h.resource(), apiVersion: "2026-03-18")
        let before = await credential.fetches
        try await Task.sleep(for: .milliseconds(2500))  // the emulator's token lifetime is real time
        _ = try await arm.listKeys(h.resource(), apiVersion: "2026-03-18")
        #expect(await credential.fetches == before + 1)
        try await h.shutdown()
    }

    @Test func entraErrorsNameTheProblem() async throws {
        let h = try await EmulatorHarness()
        try "wrong".write(toFile: h.secretFile, atomically: true, encoding: .utf8)
        var error = await #expect(throws: EntraError.self) { try await h.credential().token(scope: h.emulator.info.baseURL + "/.default") }
        #expect(error?.error == "invalid_client")
        #expect(error?.errorDescription.hasPrefix("AADSTS7000215") == true)
        #expect(error?.description.contains("wrong") == false)
        error = await #expect(throws: EntraError.self) {
            try await h.credential(tenant: "other-tenant").token(scope: h.emulator.info.baseURL + "/.default")
        }
        #expect(error?.errorDescription.hasPrefix("AADSTS90002") == true)
        try await h.shutdown()
    }

    @Test func throttlesWritesWithRetryAfterOncTheBucketIsEmpty() async throws {
        let h = try await EmulatorHarness { $0.writeBucket = .init(capacity: 3, refillPerSecond: 0.5) }
        let id = h.resource()
        let auth = [("Authorization", try await h.bearer())]
        var remaining: [String] = []
        for _ in 0..<3 {
            let r = try await h.raw("POST", id.path + "/listKeys?api-version=2026-03-18", headers: auth)
            #expect(r.status == 200)
            remaining.append(r.header("x-ms-ratelimit-remaining-subscription-writes") ?? "?")
        }
        #expect(remaining == ["2", "1", "0"])
        let throttled = try await h.raw("POST", id.path + "/listKeys?api-version=2026-03-18", headers: auth)
        #expect(throttled.status == 429)
        #expect(Int(throttled.header("Retry-After") ?? "") ?? 0 >= 1)
        // Reads are not writes.
        #expect(try await h.raw("GET", id.path + "?api-version=2026-03-18", headers: auth).status == 200)
        try await h.shutdown()
    }

    @Test func aClientWithoutTheCAFailsTLSVerification() async throws {
        let h = try await EmulatorHarness()
        let plain = AsyncHTTPClientTransport()
        let error = await #expect(throws: TransportError.self) {
            try await plain.send(HTTPRequestData(method: "GET", url: h.base), timeout: .seconds(5))
        }
        #expect(error?.kind == .tls)
        try await plain.shutdown()
        try await h.shutdown()
    }
}

struct ARMBudgetsEmulatorTests {
    /// As ARM: a bucket per subscription, per principal and per kind; several subscriptions on request.
    @Test func bucketsArePerSubscriptionPrincipalAndKind() async throws {
        let h = try await EmulatorHarness {
            $0.subscriptions = 2
            $0.writeBucket = .init(capacity: 2, refillPerSecond: 0.01)
            $0.readBucket = .init(capacity: 1, refillPerSecond: 0.01)
        }
        #expect(Set(h.emulator.info.resources.indices.map { h.resource($0).subscription }).count == 2)
        let (first, second) = (h.resource(0), h.resource(1))
        #expect(first.subscription != second.subscription)
        let auth = [("Authorization", try await h.bearer())]
        func listKeys(_ id: ResourceID, _ auth: [(String, String)]) async throws -> HTTPResponseData {
            try await h.raw("POST", id.path + "/listKeys?api-version=2026-03-18", headers: auth)
        }
        for _ in 0..<2 { #expect(try await listKeys(first, auth).status == 200) }
        let throttled = try await listKeys(first, auth)
        #expect(throttled.status == 429 && throttled.header("x-ms-ratelimit-remaining-subscription-writes") == "0")
        #expect(try await listKeys(second, auth).status == 200, "another subscription has its own bucket")
        let other = CachedCredential(
            source: ClientSecretSource(endpoint: h.entra(clientID: h.emulator.info.readerClientID), secretFile: h.secretFile)
        )
        try h.emulator.info.readerClientSecret.write(toFile: h.secretFile, atomically: true, encoding: .utf8)
        let readerAuth = [("Authorization", "Bearer " + (try await other.token(scope: h.emulator.info.baseURL + "/.default")).token.exposedValue)]
        #expect(try await listKeys(first, readerAuth).status == 403, "another principal has its own bucket (and no write right)")
        let read = try await h.raw("GET", first.path + "?api-version=2026-03-18", headers: auth)
        #expect(read.status == 200 && read.header("x-ms-ratelimit-remaining-subscription-reads") == "0", "reads have a bucket of their own")
        #expect(try await h.raw("GET", first.path + "?api-version=2026-03-18", headers: auth).status == 429)
        try await h.shutdown()
    }

    @Test func pacedWritesAreNeverThrottled() async throws {
        let h = try await EmulatorHarness { $0.writeBucket = .init(capacity: 20, refillPerSecond: 10) }
        let budgets = ARMBudgets(writes: .init(burst: 20, perSecond: 10))
        let arm = ARMClient(
            endpoint: h.base,
            scope: h.emulator.info.baseURL + "/.default",
            credential: h.credential(),
            transport: h.transport,
            sleep: { try await Task.sleep(for: $0) },
            budgets: budgets,
            logger: .init(label: "test")
        )
        let id = h.resource()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<60 { group.addTask { _ = try await arm.listKeys(id, apiVersion: "2026-03-18") } }
            try await group.waitForAll()
        }
        let stats = try await h.stats()
        #expect(stats["listKeys"] as? Int == 60)
        #expect(stats["throttled"] as? Int == 0, "\(stats)")
        #expect(await budgets.heldBack > 1, "the writes beyond the burst were held back")
        try await h.shutdown()
    }
}

struct ClientSecretCredentialTests {
    @Test func aThousandConcurrentRotationsCauseOneTokenRequest() async throws {
        let h = try await EmulatorHarness {
            $0.writeBucket = nil
            $0.readBucket = nil
        }
        let arm = h.arm()
        let id = h.resource()
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<1000 { group.addTask { _ = try await arm.resource(id, apiVersion: "2026-03-18") } }
            try await group.waitForAll()
        }
        #expect(try await h.stats()["tokenRequests"] as? Int == 1)
        try await h.shutdown()
    }
}

/// A source whose tokens claim to live an hour, whatever the issuer said.
struct OptimisticSource: TokenSource {
    let inner: any TokenSource
    var name: String { inner.name }

    func fetchToken(scope: String, claims: String?) async throws -> AccessToken {
        var token = try await inner.fetchToken(scope: scope, claims: claims)
        token.expiresOn = token.obtainedAt.addingTimeInterval(3600)
        return token
    }
}
