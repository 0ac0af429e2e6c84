import AzureClient
import Foundation
import KeyRotation
import Logging
import Testing

/// The leader reads the followers' confirmations from the latest version's tags: only those naming
/// the published key's fingerprint, on the version that holds it.
struct KeyVaultFollowerConfirmationsTests {
    static func latest(fingerprint: String, tags: [String: String]) -> String {
        let extra = tags.map { #","\#($0.key)":"\#($0.value)""# }.joined()
        return
            #"{"id":"https://kv.vault.azure.net/secrets/app/v1","value":"v","attributes":{"enabled":true},"tags":{"keyrotd-resource":"app","keyrotd-fingerprint":"\#(fingerprint)"\#(extra)}}"#
    }

    func confirmations(_ transport: ScriptedTransport) -> KeyVaultFollowerConfirmations {
        let output = KeyVaultOutput(
            vault: URL(string: "https://kv.vault.azure.net")!,
            secret: "app",
            layout: SecretOutput(file: "app in kv", format: .connectionString, envName: "X", mode: 0o600, group: nil)
        )
        let client = KeyVaultClient(
            vaultURL: output.vault,
            credential: StaticCredential(),
            transport: transport,
            retry: RetryPolicy(maxAttempts: 1, base: .milliseconds(1)),
            sleep: { _ in },
            logger: Logger(label: "test")
        )
        return KeyVaultFollowerConfirmations(targets: [.init(output: output, client: client)])
    }

    @Test func onlyTagsNamingThePublishedFingerprintConfirm() async throws {
        let published = KeyFingerprint(of: "new-key")
        let transport = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(
                200,
                [],
                Self.latest(
                    fingerprint: published.value,
                    tags: ["keyrotd-confirmed-web-1": published.value, "keyrotd-confirmed-web-2": "sha256:0000000000000000", "team": published.value]
                )
            ),
        ])
        #expect(try await confirmations(transport).followers(confirming: published) == ["web-1"])
    }

    @Test func aLatestVersionHoldingAnotherKeyConfirmsNobody() async throws {
        let published = KeyFingerprint(of: "new-key")
        let transport = ScriptedTransport([
            .respond(401, [KeyVaultClientTests.challenge], KeyVaultClientTests.unauthorized),
            .respond(200, [], Self.latest(fingerprint: "sha256:1111111111111111", tags: ["keyrotd-confirmed-web-1": published.value])),
        ])
        #expect(try await confirmations(transport).followers(confirming: published).isEmpty)
    }
}
