import AzureClient
import Foundation
import KeyRotation
import Logging
import Testing

/// The Key Vault output after the files: one version per published key however often the publish
/// is repeated, and the versions of a regenerated key disabled, the other key's left alone.
struct KeyVaultPublisherTests {
    /// A file publisher that only counts.
    actor CountingPublisher: SecretPublisher {
        private(set) var publishes = 0
        func currentDigest() async -> KeyFingerprint? { nil }
        func recover(_ fingerprint: KeyFingerprint) async -> Secret? { nil }
        func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint {
            publishes += 1
            return KeyFingerprint(of: "file")
        }
    }

    static let material = KeyMaterial(
        slot: .secondary,
        key: Secret("new-secondary-key"),
        connectionString: Secret("endpoint=https://x/;accesskey=new-secondary-key"),
        endpoint: "https://x/",
        keyName: ""
    )

    static func item(_ version: String, slot: String, fingerprint: String, enabled: Bool = true, value: Bool = false, epoch: Int? = nil) -> String {
        let stamp = epoch.map { #","keyrotd-epoch":"\#($0)""# } ?? ""
        return
            #"{"id":"https://kv.vault.azure.net/secrets/app/\#(version)",\#(value ? #""value":"v","# : "")"attributes":{"enabled":\#(enabled)},"tags":{"keyrotd-resource":"app","keyrotd-key":"\#(slot)","keyrotd-fingerprint":"\#(fingerprint)"\#(stamp)}}"#
    }

    static let now = Date(timeIntervalSince1970: 1_800_000_000)

    func publisher(_ transport: ScriptedTransport, _ inner: CountingPublisher?, epoch: Int? = nil) -> KeyVaultPublisher {
        let output = KeyVaultOutput(
            vault: URL(string: "https://kv.vault.azure.net")!,
            secret: "app",
            layout: SecretOutput(file: "app in kv", format: .connectionString, envName: "X", mode: 0o600, group: nil),
            contentType: "text/plain",
            tags: ["team": "t"],
            expiresAfter: .seconds(90 * 86_400)
        )
        let client = KeyVaultClient(
            vaultURL: output.vault,
            credential: StaticCredential(),
            transport: transport,
            retry: RetryPolicy(maxAttempts: 2, base: .milliseconds(1)),
            sleep: { _ in },
            logger: Logger(label: "test")
        )
        return KeyVaultPublisher(
            inner: inner,
            targets: [.init(output: output, client: client)],
            resource: "app",
            epoch: epoch,
            now: { Self.now },
            logger: Logger(label: "test")
        )
    }

    @Test func aRepeatedPublishAddsNoSecondVersion() async throws {
        let fingerprint = Self.material.fingerprint.value
        let transport = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(200, [], Self.item("b", slot: "secondary", fingerprint: fingerprint, value: true)),
            .respond(200, [], #"{"value":[\#(Self.item("b", slot: "secondary", fingerprint: fingerprint))],"nextLink":null}"#),
        ])
        let inner = CountingPublisher()
        _ = try await publisher(transport, inner).publish(
            Self.material,
            step: .rotating(Rotation(startedAt: Date(timeIntervalSince1970: 0), phase: .publishing(slot: .secondary, final: true)))
        )
        let methods = await transport.requests.map(\.method)
        #expect(methods == ["GET", "GET", "GET"], "no PUT: \(methods)")
        #expect(await inner.publishes == 1)
    }

    @Test func aNewKeyIsOneTaggedVersionWithoutTheLineBreakAndTheRegeneratedKeysVersionsAreDisabled() async throws {
        let fingerprint = Self.material.fingerprint.value
        let transport = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(200, [], Self.item("a", slot: "primary", fingerprint: "sha256:primary", value: true)),
            .respond(200, [], Self.item("c", slot: "secondary", fingerprint: fingerprint, value: true)),
            .respond(
                200,
                [],
                #"{"value":[\#(Self.item("old", slot: "secondary", fingerprint: "sha256:old")),\#(Self.item("a", slot: "primary", fingerprint: "sha256:primary")),\#(Self.item("gone", slot: "secondary", fingerprint: "sha256:older", enabled: false)),\#(Self.item("c", slot: "secondary", fingerprint: fingerprint))]}"#
            ),
            .respond(200, [], Self.item("old", slot: "secondary", fingerprint: "sha256:old", enabled: false)),
        ])
        _ = try await publisher(transport, CountingPublisher()).publish(
            Self.material,
            step: .rotating(Rotation(startedAt: Date(timeIntervalSince1970: 0), phase: .publishing(slot: .secondary, final: false)))
        )
        let requests = await transport.requests
        #expect(requests.map(\.method) == ["GET", "GET", "PUT", "GET", "PATCH"])
        let put = try #require(try JSONSerialization.jsonObject(with: Data(requests[2].body)) as? [String: Any])
        #expect(put["value"] as? String == "endpoint=https://x/;accesskey=new-secondary-key")
        #expect(
            put["tags"] as? [String: String] == [
                "team": "t", "keyrotd-resource": "app", "keyrotd-key": "secondary", "keyrotd-fingerprint": fingerprint,
            ]
        )
        #expect(put["contentType"] as? String == "text/plain")
        #expect((put["attributes"] as? [String: Any])?["exp"] as? Int == 1_800_000_000 + 90 * 86_400, "expires_after from the write")
        #expect(requests[4].url.path == "/secrets/app/old", "only the regenerated key's live version; the primary's stays readable")
        #expect(String(decoding: requests[4].body, as: UTF8.self) == #"{"attributes":{"enabled":false}}"#)
    }

    /// In a group, a version stamped by an older leadership is not this publish done: a new one is
    /// written with this leadership's epoch. One stamped by a newer leadership stops the publish.
    @Test func theEpochDecidesWhetherALatestVersionIsBuiltOn() async throws {
        let fingerprint = Self.material.fingerprint.value
        let step = RotationStep.rotating(Rotation(startedAt: Date(timeIntervalSince1970: 0), phase: .publishing(slot: .secondary, final: true)))
        let older = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(200, [], Self.item("b", slot: "secondary", fingerprint: fingerprint, value: true, epoch: 2)),
            .respond(200, [], Self.item("c", slot: "secondary", fingerprint: fingerprint, value: true, epoch: 3)),
            .respond(200, [], #"{"value":[]}"#),
        ])
        _ = try await publisher(older, CountingPublisher(), epoch: 3).publish(Self.material, step: step)
        let requests = await older.requests
        #expect(requests.map(\.method) == ["GET", "GET", "PUT", "GET"])
        let put = try #require(try JSONSerialization.jsonObject(with: Data(requests[2].body)) as? [String: Any])
        #expect((put["tags"] as? [String: String])?["keyrotd-epoch"] == "3")

        let newer = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(200, [], Self.item("d", slot: "secondary", fingerprint: "sha256:other", value: true, epoch: 4)),
        ])
        let refused = await #expect(throws: KeyVaultError.self) {
            try await publisher(newer, CountingPublisher(), epoch: 3).publish(Self.material, step: step)
        }
        #expect(refused?.code == "EpochBehind")
        #expect(await newer.requests.map(\.method) == ["GET", "GET"])
    }

    /// In a group there are no files: what is published is the key whose fingerprint the latest
    /// version of this resource carries, unless it is disabled or a newer leadership wrote it.
    @Test func withoutFilesTheVaultsLatestVersionIsWhatIsPublished() async throws {
        let fingerprint = Self.material.fingerprint.value
        let reads = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(200, [], Self.item("b", slot: "secondary", fingerprint: fingerprint, value: true, epoch: 2)),
            .respond(200, [], Self.item("d", slot: "secondary", fingerprint: fingerprint, value: true, epoch: 4)),
            .respond(200, [], Self.item("e", slot: "secondary", fingerprint: fingerprint, enabled: false, value: true, epoch: 3)),
            .respond(500, [], "{}"),
            .respond(500, [], "{}"),
        ])
        let vaultOnly = publisher(reads, nil, epoch: 3)
        #expect(await vaultOnly.currentDigest() == Self.material.fingerprint, "an older leadership's version of this key still serves")
        #expect(await vaultOnly.currentDigest() == nil, "a newer leadership wrote the latest version")
        #expect(await vaultOnly.currentDigest() == nil, "the latest version is disabled")
        #expect(await vaultOnly.currentDigest() == nil, "the vault cannot be read")

        let writes = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(200, [], Self.item("b", slot: "secondary", fingerprint: "sha256:0000000000000000", value: true, epoch: 3)),
            .respond(200, [], Self.item("c", slot: "secondary", fingerprint: fingerprint, value: true, epoch: 3)),
            .respond(200, [], #"{"value":[]}"#),
        ])
        let step = RotationStep.rotating(Rotation(startedAt: Date(timeIntervalSince1970: 0), phase: .publishing(slot: .secondary, final: true)))
        let digest = try await publisher(writes, nil, epoch: 3).publish(Self.material, step: step)
        #expect(digest == Self.material.fingerprint)
        #expect(await writes.requests.map(\.method) == ["GET", "GET", "PUT", "GET"])
    }
}
