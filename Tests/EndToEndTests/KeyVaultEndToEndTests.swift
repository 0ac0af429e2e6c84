import AzureClient
import Foundation
import Glibc
import KeyRotation
import Logging
import Testing

extension EndToEnd {
    /// The real daemon publishing into the emulator's vault, killed at random instants: a reader of
    /// the vault's latest version never holds a dead key, each published key is one version, and the
    /// versions holding regenerated keys are disabled.
    @Suite(.serialized)
    struct KeyVaultEndToEndTests {
        /// A client of the emulator's vault as its read-only principal (a follower's rights).
        static func reader(_ scenario: Scenario, transport: AsyncHTTPClientTransport) throws -> KeyVaultClient {
            let info = scenario.emulator.info
            let secretFile = scenario.directory + "/reader-secret"
            _ = FileManager.default.createFile(
                atPath: secretFile,
                contents: Data(info.readerClientSecret.utf8),
                attributes: [.posixPermissions: 0o600]
            )
            let endpoint = try EntraTokenEndpoint(
                authorityHost: URL(string: info.baseURL)!,
                tenant: info.tenant,
                clientID: info.readerClientID,
                transport: transport,
                sleep: { try await Task.sleep(for: $0) }
            )
            return KeyVaultClient(
                vaultURL: URL(string: info.keyVaultURL)!,
                credential: CachedCredential(source: ClientSecretSource(endpoint: endpoint, secretFile: secretFile)),
                transport: transport,
                sleep: { try await Task.sleep(for: $0) },
                logger: Logger(label: "vault-reader")
            )
        }

        /// Reads each secret's latest version again and again and authenticates with its key: a refusal
        /// of a key read less than grace ago, or of the version still latest, is a violation.
        actor VaultConsumer {
            let vault: KeyVaultClient
            let secrets: [(secret: String, id: ResourceID)]
            let client: DataPlaneClient
            let grace: Double
            private(set) var accepted = 0
            private(set) var violations: [String] = []
            private(set) var seen: Set<String> = []
            private var stopped = false

            init(vault: KeyVaultClient, secrets: [(String, ResourceID)], client: DataPlaneClient, grace: Double) {
                self.vault = vault
                self.secrets = secrets
                self.client = client
                self.grace = grace
            }

            func run() async {
                while !stopped && !Task.isCancelled {
                    for (secret, id) in secrets {
                        let readAt = Date()
                        guard let latest = try? await vault.latest(secret), let value = latest.value,
                            let material = Consumer.material(Data((value.exposedValue + "\n").utf8), id: id)
                        else { continue }
                        seen.insert(material.key.exposedValue)
                        switch await client.check(material, id: id) {
                        case .accepted:
                            accepted += 1
                        case .denied:
                            let stillLatest = (try? await vault.latest(secret))?.version == latest.version
                            if stillLatest || Date().timeIntervalSince(readAt) < grace {
                                violations.append("\(secret): version \(latest.version) (\(material.fingerprint)) refused")
                            }
                        case .failed:
                            break
                        }
                    }
                    try? await Task.sleep(for: .milliseconds(20))
                }
            }

            func stop() { stopped = true }
        }

        @Test func publishesEachKeyOnceAndDisablesRegeneratedOnesThroughSIGKILLs() async throws {
            let scenario = try await Scenario("vault", emulatorArguments: ["--no-throttle"], resources: 2, every: "2s", grace: "800ms")
            let vaultURL = scenario.emulator.info.keyVaultURL
            var config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            for resource in scenario.configuration.resources {
                config = config.replacingOccurrences(
                    of: "id = \"\(resource.id.path)\"\n",
                    with: "id = \"\(resource.id.path)\"\n\n[[resource.outputs]]\nkey_vault = \"\(vaultURL)\"\nsecret = \"\(resource.name)-conn\"\n"
                        + "consumer_refresh = \"800ms\"\ncontent_type = \"text/plain\"\ntags = { team = \"e2e\" }\n"
                )
            }
            try config.write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            // One HTTP client for the vault reader and the data-plane checks, closed however the test ends.
            let transport = AsyncHTTPClientTransport(extraCAFile: scenario.emulator.info.caFile)
            do {
                try await exercise(scenario, transport: transport)
            } catch {
                try? await transport.shutdown()
                throw error
            }
            try await transport.shutdown()
        }

        private func exercise(_ scenario: Scenario, transport: AsyncHTTPClientTransport) async throws {
            let vault = try Self.reader(scenario, transport: transport)
            let checker = DataPlaneClient(transport: transport, extraCAFile: scenario.emulator.info.caFile, sleep: { try await Task.sleep(for: $0) })
            let consumer = VaultConsumer(
                vault: vault,
                secrets: scenario.configuration.resources.map { ("\($0.name)-conn", $0.id) },
                client: checker,
                grace: 0.8
            )
            let consuming = Task { await consumer.run() }
            defer { consuming.cancel() }

            var generator = SystemRandomNumberGenerator()
            for i in 0..<12 {
                let daemon = try scenario.startDaemon(label: "daemon-\(i)")
                try await Task.sleep(for: .milliseconds(Int.random(in: 200...1500, using: &generator)))
                daemon.signal(SIGKILL)
                await daemon.wait()
            }
            let before = scenario.totalRotations()
            let last = try scenario.startDaemon(label: "daemon-final")
            try await scenario.wait(for: .seconds(60), "rotations after the last restart") {
                try scenario.records().values.allSatisfy { $0.step == .idle } && scenario.totalRotations() >= before + 4
            }
            last.signal(SIGTERM)
            #expect(await last.wait(timeout: .seconds(20)) == 0)
            await consumer.stop()
            let violations = await consumer.violations
            #expect(violations.isEmpty, "\(violations)")
            #expect(await consumer.accepted > 0)

            for resource in scenario.configuration.resources {
                let secret = "\(resource.name)-conn"
                let versions = try await vault.versions(secret)
                let fingerprints = versions.compactMap { $0.tags[KeyVaultOutput.Tag.fingerprint] }
                #expect(fingerprints.count == versions.count, "every version is tagged")
                #expect(Set(fingerprints).count == fingerprints.count, "\(secret): a key published twice: \(fingerprints)")
                #expect(versions.allSatisfy { $0.tags[KeyVaultOutput.Tag.resource] == resource.name && $0.tags["team"] == "e2e" })
                #expect(versions.allSatisfy { $0.contentType == "text/plain" })
                // At most the live primary and the live secondary stay readable, and the latest is the published key.
                let enabled = versions.filter(\.enabled)
                #expect(enabled.count <= 2 && Set(enabled.compactMap { $0.tags[KeyVaultOutput.Tag.key] }).count == enabled.count, "\(secret)")
                #expect(versions.count >= 3, "\(secret): the adoption and a rotation's two keys at least, \(versions.count) versions")
                let record = try #require(try scenario.records()[resource.name])
                let latest = try #require(try await vault.latest(secret))
                #expect(latest.tags[KeyVaultOutput.Tag.fingerprint] == record.publishedKey?.value)
                // Every version still readable holds a key that works.
                for version in enabled {
                    let value = try #require(try await vault.version(secret, version.version).value)
                    let material = try #require(Consumer.material(Data((value.exposedValue + "\n").utf8), id: resource.id))
                    #expect(await checker.check(material, id: resource.id) == .accepted, "\(secret) \(version.version) holds a dead key")
                }
            }
            try await scenario.finish(extraSecrets: await consumer.seen, excluding: [scenario.directory + "/reader-secret"])
        }
    }
}
