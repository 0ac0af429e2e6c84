import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Testing

/// The Key Vault client: the challenge before any token, only Key Vault scopes, CAE, retries, pages
/// that stay on the vault, values never in errors; and a round trip through the emulator's vault.
struct KeyVaultClientTests {
    static let vault = URL(string: "https://kv.vault.azure.net")!
    static let challenge = (
        "WWW-Authenticate", #"Bearer authorization="https://login.microsoftonline.com/tenant-1", resource="https://vault.azure.net""#
    )
    static let unauthorized = #"{"error":{"code":"Unauthorized","message":"AKV10000: Request is missing a Bearer or PoP token."}}"#

    static func bundle(version: String, value: String? = "v", tags: [String: String] = [:]) -> String {
        let tagJSON = tags.map { #""\#($0.key)":"\#($0.value)""# }.joined(separator: ",")
        return
            #"{"id":"https://kv.vault.azure.net/secrets/app/\#(version)",\#(value.map { #""value":"\#($0)","# } ?? "")"attributes":{"enabled":true,"created":1800000000},"tags":{\#(tagJSON)}}"#
    }

    func client(_ transport: ScriptedTransport, _ credential: StaticCredential = StaticCredential(), _ sleeps: SleepRecorder = SleepRecorder())
        -> KeyVaultClient
    {
        KeyVaultClient(
            vaultURL: Self.vault,
            credential: credential,
            transport: transport,
            retry: RetryPolicy(maxAttempts: 3, base: .milliseconds(10), cap: .milliseconds(50)),
            sleep: { await sleeps.record($0) },
            logger: Logger(label: "test")
        )
    }

    @Test func theFirstRequestCarriesNoTokenAndNoBodyAndTheChallengeNamesTheScope() async throws {
        let transport = ScriptedTransport([
            .respond(401, [Self.challenge], Self.unauthorized), .respond(200, [], Self.bundle(version: "0123456789abcdef0123456789abcdef")),
        ])
        let credential = StaticCredential()
        let version = try await client(transport, credential).setSecret(
            "app",
            value: Secret("connection-string"),
            contentType: "text/plain",
            tags: ["k": "v"]
        )
        #expect(version.version == "0123456789abcdef0123456789abcdef")
        let requests = await transport.requests
        try #require(requests.count == 2)
        #expect(!requests[0].headers.contains { $0.0 == "Authorization" } && requests[0].body.isEmpty)
        #expect(requests[1].headers.contains { $0 == ("Authorization", "Bearer token-1") })
        #expect(requests[1].url.absoluteString == "https://kv.vault.azure.net/secrets/app?api-version=7.6")
        let body = try #require(try JSONSerialization.jsonObject(with: Data(requests[1].body)) as? [String: Any])
        #expect(body["value"] as? String == "connection-string" && body["contentType"] as? String == "text/plain")
        #expect(body["tags"] as? [String: String] == ["k": "v"])
        #expect(await credential.issued == 1)
    }

    @Test(arguments: [
        #"Bearer authorization="https://login.microsoftonline.com/t", resource="https://management.azure.com""#,
        #"Bearer authorization="https://login.microsoftonline.com/t", scope="https://attacker.example/.default""#, "Basic realm=x",
    ])
    func aChallengeForAnythingButAKeyVaultTokenGetsNoToken(challenge: String) async throws {
        let transport = ScriptedTransport([.respond(401, [("WWW-Authenticate", challenge)], Self.unauthorized)])
        let credential = StaticCredential()
        let error = await #expect(throws: KeyVaultError.self) { try await client(transport, credential).latest("app") }
        #expect(error?.code == "UnexpectedChallenge")
        #expect(await credential.issued == 0)
        #expect(await transport.requests.count == 1)
    }

    @Test func aClaimsChallengeIsAnsweredOnceWithANewToken() async throws {
        let claims = #"{"access_token":{"nbf":{"essential":true,"value":"1800000000"}}}"#
        let cae =
            #"Bearer authorization="https://login.microsoftonline.com/t", resource="https://vault.azure.net", error="insufficient_claims", claims=""#
            + Data(claims.utf8).base64EncodedString() + "\""
        let transport = ScriptedTransport([
            .respond(401, [Self.challenge], Self.unauthorized), .respond(401, [("WWW-Authenticate", cae)], Self.unauthorized),
            .respond(200, [], Self.bundle(version: "0123456789abcdef0123456789abcdef")),
        ])
        let credential = StaticCredential()
        let latest = try await client(transport, credential).latest("app")
        #expect(latest?.value?.exposedValue == "v")
        #expect(await credential.claims == [claims])
    }

    @Test func throttlingIsWaitedOutAsAskedAndAMissingSecretIsNil() async throws {
        let transport = ScriptedTransport([
            .respond(401, [Self.challenge], Self.unauthorized),
            .respond(
                429,
                [("Retry-After", "2")],
                #"{"error":{"code":"Throttled","message":"Request was not processed because too many requests were received."}}"#
            ),
            .respond(404, [], #"{"error":{"code":"SecretNotFound","message":"A secret with (name/id) app was not found in this key vault."}}"#),
        ])
        let sleeps = SleepRecorder()
        #expect(try await client(transport, StaticCredential(), sleeps).latest("app") == nil)
        #expect(await sleeps.sleeps == [.seconds(2)])
    }

    @Test func aNextPageOffTheVaultIsNotFollowed() async throws {
        let page =
            #"{"value":[\#(Self.bundle(version: "0123456789abcdef0123456789abcdef", value: nil))],"nextLink":"https://elsewhere.example/secrets/app/versions?x=1"}"#
        let transport = ScriptedTransport([.respond(401, [Self.challenge], Self.unauthorized), .respond(200, [], page)])
        let error = await #expect(throws: KeyVaultError.self) { try await client(transport).versions("app") }
        #expect(error?.code == "MalformedResponse")
        #expect(await transport.requests.allSatisfy { $0.url.host == "kv.vault.azure.net" })
    }

    @Test func anErrorThatEchoesTheValueDoesNotCarryIt() async throws {
        let transport = ScriptedTransport([
            .respond(401, [Self.challenge], Self.unauthorized),
            .respond(400, [], #"{"error":{"code":"BadParameter","message":"cannot store endpoint=x;accesskey=SECRETVALUE"}}"#),
        ])
        let error = await #expect(throws: KeyVaultError.self) {
            try await client(transport).setSecret("app", value: Secret("endpoint=x;accesskey=SECRETVALUE"))
        }
        let text = String(describing: try #require(error))
        #expect(!text.contains("SECRETVALUE") && text.contains("BadParameter") && text.contains("<redacted>"))
    }

    /// Through the emulator's vault: versions, the latest, pages, disabling, and a reader that may tag.
    @Test func roundTripsThroughTheEmulatorsVault() async throws {
        var configuration = EmulatorConfiguration()
        configuration.resources = 1
        let emulator = try await Emulator.start(configuration)
        let transport = AsyncHTTPClientTransport(extraCAFile: emulator.info.caFile)
        let directory = NSTemporaryDirectory() + "kv-client-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        func credential(_ id: String, _ secret: String) throws -> CachedCredential {
            try secret.write(toFile: directory + "/" + id, atomically: true, encoding: .utf8)
            let endpoint = try EntraTokenEndpoint(
                authorityHost: URL(string: emulator.info.baseURL)!,
                tenant: emulator.info.tenant,
                clientID: id,
                transport: transport,
                sleep: { try await Task.sleep(for: $0) }
            )
            return CachedCredential(source: ClientSecretSource(endpoint: endpoint, secretFile: directory + "/" + id))
        }
        // Closed however the test ends: an unclosed HTTP client stops the whole test process.
        do {
            try await roundTrip(emulator, transport: transport, credential: credential)
        } catch {
            try? await transport.shutdown()
            try? await emulator.shutdown()
            throw error
        }
        try await transport.shutdown()
        try await emulator.shutdown()
        try? FileManager.default.removeItem(atPath: directory)
    }

    private func roundTrip(
        _ emulator: Emulator,
        transport: AsyncHTTPClientTransport,
        credential: (String, String) throws -> CachedCredential
    ) async throws {
        let url = URL(string: emulator.info.keyVaultURL)!
        let writer = KeyVaultClient(
            vaultURL: url,
            credential: try credential(emulator.info.clientID, emulator.info.clientSecret),
            transport: transport,
            sleep: { try await Task.sleep(for: $0) },
            logger: Logger(label: "test")
        )
        let reader = KeyVaultClient(
            vaultURL: url,
            credential: try credential(emulator.info.readerClientID, emulator.info.readerClientSecret),
            transport: transport,
            sleep: { try await Task.sleep(for: $0) },
            logger: Logger(label: "test")
        )
        #expect(try await writer.latest("app") == nil)
        #expect(try await writer.versions("app") == [])
        var created: [KeyVaultSecretVersion] = []
        for i in 1...30 {
            created.append(try await writer.setSecret("app", value: Secret("value-\(i)"), tags: ["keyrotd-fingerprint": "sha256:\(i)"]))
        }
        let latest = try #require(try await reader.latest("app"))
        #expect(latest.value?.exposedValue == "value-30" && latest.tags == ["keyrotd-fingerprint": "sha256:30"])
        let versions = try await reader.versions("app")
        #expect(versions.map(\.version) == created.map(\.version), "all 30, across two pages")
        #expect(versions.allSatisfy { $0.value == nil })
        try await writer.updateVersion("app", created[0].version, enabled: false)
        #expect(try await reader.versions("app").first?.enabled == false)
        let tagged = try await reader.updateVersion(
            "app",
            created[29].version,
            tags: ["keyrotd-fingerprint": "sha256:30", "keyrotd-confirmed-web-1": "sha256:30"]
        )
        #expect(tagged.tags.count == 2)
        let refused = await #expect(throws: KeyVaultError.self) { try await reader.setSecret("app", value: Secret("x")) }
        #expect(refused?.code == "Forbidden/ForbiddenByRbac" && refused?.advice != nil)
    }
}
