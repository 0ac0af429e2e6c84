import AzureEmulator
import Foundation
import Glibc
import Testing

/// Every kind of Azure identity, through the real binaries: `keyrotd rotate --wait` against
/// `keyrotd-emulator` with each credential table and the environment Azure would set, then the
/// failure modes an operator meets, each with an actionable error and no secret in any output.
extension EndToEnd {
    @Suite(.serialized)
    struct CredentialEndToEndTests {
        /// One emulator with its proxy; each case gets its own directory, configuration and state.
        final class Rig: Sendable {
            let emulator: EmulatorProcess
            let root: String

            init(emulator: EmulatorProcess, root: String) {
                self.emulator = emulator
                self.root = root
            }

            /// A failed expectation must not leave the emulator running.
            deinit {
                if emulator.child.isRunning { kill(emulator.child.pid, SIGKILL) }
            }

            static func start() async throws -> Rig {
                let root = try testDirectory("credentials")
                let emulator = try await EmulatorProcess.start(
                    ["--resources", "1", "--proxy-port", "0", "--proxy-credentials", "keyrotd:proxy-pass-e2e", "--no-throttle"],
                    directory: root
                )
                return Rig(emulator: emulator, root: root)
            }

            /// Writes a configuration with `credential` as the table body; returns its path.
            func configuration(_ name: String, credential: String, through proxy: Bool = false) throws -> String {
                let directory = root + "/" + name
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
                let info = emulator.info
                var text = info.keyrotdConfiguration(secretFile: "", credential: credential, directory: directory, every: "1h", grace: "0s")
                if proxy, let proxied = info.proxiedBaseURL { text = text.replacingOccurrences(of: info.baseURL, with: proxied) }
                try text.write(toFile: directory + "/keyrotd.toml", atomically: true, encoding: .utf8)
                return directory + "/keyrotd.toml"
            }

            /// `keyrotd rotate acs-001 --wait` with `environment`.
            func rotate(_ config: String, environment: [String: String] = [:], label: String) async throws -> (Int32, String, String) {
                // The runner's own Azure variables must not leak into a case.
                var env = environment
                for name in [
                    "AZURE_TENANT_ID", "AZURE_CLIENT_ID", "AZURE_CLIENT_SECRET", "AZURE_FEDERATED_TOKEN_FILE", "IDENTITY_ENDPOINT", "HTTPS_PROXY",
                    "https_proxy",
                ]
                where env[name] == nil {
                    env[name] = ""
                }
                let child = try ChildProcess(
                    Binaries.keyrotd,
                    ["rotate", "acs-001", "--wait", "--config", config],
                    directory: (config as NSString).deletingLastPathComponent,
                    label: label,
                    environment: env
                )
                let status = await child.wait(timeout: .seconds(90))
                return (status, child.stdout, child.stderr)
            }

            /// Every secret the emulator's identities involve, for the leak check.
            func secrets() throws -> Set<String> {
                let info = emulator.info
                let keyBody = try String(contentsOfFile: info.identities.privateKeyFile, encoding: .utf8)
                    .split(separator: "\n").filter { !$0.hasPrefix("-----") }.prefix(3).map(String.init)
                return Set(
                    [info.clientSecret, info.readerClientSecret, info.identities.appServiceIdentityHeader, "proxy-pass-e2e"]
                        + [try String(contentsOfFile: info.identities.federatedTokenFile, encoding: .utf8)] + keyBody
                )
            }
        }

        @Test func everyCredentialKindRotatesKeys() async throws {
            let rig = try await Rig.start()
            let info = rig.emulator.info
            let secretFile = rig.root + "/client-secret"
            _ = FileManager.default.createFile(atPath: secretFile, contents: Data(info.clientSecret.utf8), attributes: [.posixPermissions: 0o600])
            let arcEnvironment = info.environment(kind: .arc).merging(["KEYROTD_TEST_ARC_KEY_DIRECTORY": info.identities.arcKeyDirectory]) { $1 }
            let cases: [(String, EmulatorInfo.CredentialKind, [String: String])] = [
                ("secret", .clientSecret, [:]),
                ("certificate-ps256", .certificate("PS256"), [:]),
                ("certificate-rs256", .certificate("RS256"), [:]),
                ("workload-identity", .workloadIdentity, [:]),
                ("imds-system", .imds(userAssigned: false), info.environment(kind: .imds(userAssigned: false))),
                ("imds-user", .imds(userAssigned: true), info.environment(kind: .imds(userAssigned: true))),
                ("app-service", .appService(userAssigned: false), info.environment(kind: .appService(userAssigned: false))),
                ("arc", .arc, arcEnvironment),
                (
                    "auto-workload", .auto,
                    [
                        "AZURE_TENANT_ID": info.tenant, "AZURE_CLIENT_ID": info.identities.federatedClientID,
                        "AZURE_FEDERATED_TOKEN_FILE": info.identities.federatedTokenFile, "AZURE_AUTHORITY_HOST": info.baseURL,
                    ]
                ),
                ("auto-imds", .auto, info.environment(kind: .imds(userAssigned: false))),
            ]
            for (name, kind, environment) in cases {
                let config = try rig.configuration(name, credential: info.credentialTable(kind: kind, secretFile: secretFile))
                let (status, out, errors) = try await rig.rotate(config, environment: environment, label: name)
                #expect(status == 0, "\(name): \(errors)")
                #expect(out.contains("acs-001: rotated"), "\(name): \(out)")
            }
            let issued = try await rig.emulator.stats(nested: "tokensIssued")
            #expect(issued == ["secret": 1, "certificate": 2, "federated": 2, "imds": 3, "appService": 1, "arc": 1], "\(issued)")

            // Through the proxy: the configuration names a host only the proxy resolves.
            let config = try rig.configuration("proxy", credential: info.credentialTable(kind: .clientSecret, secretFile: secretFile), through: true)
            let proxy = try #require(info.proxyURL).replacingOccurrences(of: "http://", with: "http://keyrotd:proxy-pass-e2e@")
            let (status, _, errors) = try await rig.rotate(config, environment: ["HTTPS_PROXY": proxy], label: "proxy")
            #expect(status == 0, "proxy: \(errors)")
            #expect(try await rig.emulator.stats()["proxyTunnels"] ?? 0 >= 1)

            let secrets = try rig.secrets()
            await rig.emulator.stop()
            let leaks = LeakScan.leaks(
                in: rig.root,
                secrets: secrets,
                excluding: Set([rig.emulator.child.stdoutPath, secretFile, info.identities.directory])
                    .union(cases.map { rig.root + "/" + $0.0 + "/secrets" }).union([rig.root + "/proxy/secrets"])
            )
            #expect(leaks.isEmpty, "\(leaks)")
        }

        @Test func everyFailureSaysWhatToDoAndHoldsNoSecret() async throws {
            let rig = try await Rig.start()
            let info = rig.emulator.info
            let wrongSecret = rig.root + "/wrong-secret"
            _ = FileManager.default.createFile(
                atPath: wrongSecret,
                contents: Data("wrong-secret-value-e2e".utf8),
                attributes: [.posixPermissions: 0o600]
            )
            let rightSecret = rig.root + "/client-secret"
            _ = FileManager.default.createFile(atPath: rightSecret, contents: Data(info.clientSecret.utf8), attributes: [.posixPermissions: 0o600])
            let foreignToken = rig.root + "/foreign-token"
            _ = FileManager.default.createFile(
                atPath: foreignToken,
                contents: Data("eyJhbGciOiJSUzI1NiJ9.eyJpc3MiOiJ4In0.c2ln".utf8),
                attributes: [.posixPermissions: 0o600]
            )
            let workload = info.credentialTable(kind: .workloadIdentity, secretFile: "")
            let cases: [(name: String, credential: String, environment: [String: String], expect: [String])] = [
                (
                    "bad-secret", info.credentialTable(kind: .clientSecret, secretFile: wrongSecret), [:],
                    ["AADSTS7000215", "check the client secret file"]
                ),
                (
                    "wrong-tenant",
                    info.credentialTable(kind: .clientSecret, secretFile: rightSecret).replacingOccurrences(of: info.tenant, with: "contoso.example"),
                    [:], ["AADSTS90002", "check the tenant id"]
                ),
                (
                    "forged-federated-token", workload.replacingOccurrences(of: info.identities.federatedTokenFile, with: foreignToken), [:],
                    ["AADSTS700211", "federated identity credential"]
                ),
                (
                    "unreadable-federated-token",
                    workload.replacingOccurrences(of: info.identities.federatedTokenFile, with: rig.root + "/missing-token"),
                    [:], ["token_file", "missing-token"]
                ),
                (
                    "unreachable-imds", info.credentialTable(kind: .imds(userAssigned: false), secretFile: ""),
                    ["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9"], ["IMDS", "did not answer", "Azure VM"]
                ),
                (
                    "unknown-user-assigned", "kind = \"managed-identity\"\nclient_id = \"00000000-0000-0000-0000-00000000ffff\"",
                    info.environment(kind: .imds(userAssigned: false)), ["Identity not found", "user-assigned identity is assigned"]
                ),
                (
                    "wrong-app-service-header", info.credentialTable(kind: .appService(userAssigned: false), secretFile: ""),
                    info.environment(kind: .appService(userAssigned: false)).merging(["IDENTITY_HEADER": "wrong"]) { $1 },
                    ["HTTP 401", "IDENTITY_HEADER"]
                ),
                (
                    "arc-outside-its-directory", info.credentialTable(kind: .arc, secretFile: ""), info.environment(kind: .arc),
                    ["not a .key file in /var/opt/azcmagent/tokens", "refusing to read it"]
                ),
                (
                    "auto-nothing-works", "kind = \"auto\"", ["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9"],
                    [
                        "environment service principal: AZURE_TENANT_ID", "workload identity: AZURE_FEDERATED_TOKEN_FILE is not set",
                        "managed identity (IMDS)",
                    ]
                ),
                (
                    "wrong-proxy-password", info.credentialTable(kind: .clientSecret, secretFile: rightSecret),
                    ["HTTPS_PROXY": (info.proxyURL ?? "").replacingOccurrences(of: "http://", with: "http://keyrotd:wrong-pass-e2e@")],
                    ["proxy demands credentials (407)"]
                ),
            ]
            for c in cases {
                let config = try rig.configuration(c.name, credential: c.credential, through: c.name == "wrong-proxy-password")
                let (status, out, errors) = try await rig.rotate(config, environment: c.environment, label: c.name)
                #expect(status != 0, "\(c.name) should fail")
                let text = out + errors
                for needle in c.expect { #expect(text.contains(needle), "\(c.name): expected '\(needle)' in:\n\(text)") }
            }
            var secrets = try rig.secrets()
            await rig.emulator.stop()
            secrets.formUnion(["wrong-secret-value-e2e", "wrong-pass-e2e"])
            let leaks = LeakScan.leaks(
                in: rig.root,
                secrets: secrets,
                excluding: [rig.emulator.child.stdoutPath, wrongSecret, rightSecret, foreignToken, info.identities.directory]
            )
            #expect(leaks.isEmpty, "\(leaks)")
        }
    }
}
