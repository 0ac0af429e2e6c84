import AzureEmulator
import Foundation
import Glibc
import Testing

extension EndToEnd {
    /// The emulator's data plane against Microsoft's own ACS client library (azure-communication-identity
    /// from PyPI, installed into a virtualenv under `.build/`): a published connection string works with
    /// it, and stops working once keyrotd has regenerated that key.
    struct OfficialSDKTests {
        static let script = """
            import sys
            from azure.communication.identity import CommunicationIdentityClient
            conn = open(sys.argv[1]).read().strip()
            try:
                CommunicationIdentityClient.from_connection_string(conn).create_user()
                print("accepted")
            except Exception as e:
                print("refused", getattr(e, "status_code", type(e).__name__))
            """

        /// The management SDK of every type, at the versions the emulator is held to (the current
        /// ones on PyPI when the types were added); `six` is a dependency notificationhubs 8.0.0 forgets.
        static let managementSDKs = [
            "azure-mgmt-communication==3.0.0", "azure-mgmt-signalr==1.2.0", "azure-mgmt-webpubsub==2.0.0", "azure-mgmt-maps==2.1.0",
            "azure-mgmt-cognitiveservices==14.1.0", "azure-mgmt-search==9.2.0", "azure-mgmt-eventgrid==10.4.0", "azure-mgmt-redis==14.5.0",
            "azure-mgmt-storage==25.3.0", "azure-mgmt-servicebus==10.0.0", "azure-mgmt-eventhub==12.0.0", "azure-mgmt-relay==2.1.0",
            "azure-mgmt-notificationhubs==8.0.0", "azure-mgmt-appconfiguration==5.0.0", "azure-mgmt-cosmosdb==10.0.0", "azure-mgmt-batch==19.0.0",
            "six",
        ]

        /// A virtualenv under `.build/` with `packages`, made once and reused.
        static func virtualenv(_ name: String = "python-acs", packages: [String] = ["azure-communication-identity==1.5.0"]) async throws -> String {
            let venv = EndToEnd.repositoryRoot + "/.build/" + name
            if FileManager.default.fileExists(atPath: venv + "/.installed") { return venv }
            let dir = try testDirectory("venv")
            var (status, _, errors) = try await ChildProcess.run("/usr/bin/env", ["python3", "-m", "venv", venv], directory: dir, label: "venv")
            guard status == 0 else { throw TestFailure("python3 -m venv failed: \(errors)") }
            (status, _, errors) = try await ChildProcess.run(
                venv + "/bin/pip",
                ["install", "--quiet"] + packages,
                directory: dir,
                label: "pip",
                timeout: .seconds(600)
            )
            guard status == 0 else { throw TestFailure("pip install \(packages.joined(separator: " ")) failed: \(errors)") }
            _ = FileManager.default.createFile(atPath: venv + "/.installed", contents: nil)
            return venv
        }

        func check(_ file: String, venv: String, scenario: Scenario) async throws -> String {
            let script = scenario.directory + "/acs_check.py"
            try Self.script.write(toFile: script, atomically: true, encoding: .utf8)
            let child = try ChildProcess(
                venv + "/bin/python",
                [script, file],
                directory: scenario.directory,
                label: "acs-sdk",
                environment: ["REQUESTS_CA_BUNDLE": scenario.emulator.info.caFile ?? ""]
            )
            await child.wait(timeout: .seconds(60))
            return child.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        @Test func theOfficialACSClientAcceptsAPublishedKeyUntilItIsRegenerated() async throws {
            let venv = try await Self.virtualenv()
            let scenario = try await Scenario("sdk", emulatorArguments: [], resources: 1, every: "3s", grace: "500ms")
            let daemon = try scenario.startDaemon()
            let file = scenario.configuration.daemon.secretsDirectory + "/acs-001.conn"
            try await scenario.wait(for: .seconds(30), "adoption") { FileManager.default.fileExists(atPath: file) }
            let old = scenario.directory + "/before-rotation.conn"
            try FileManager.default.copyItem(atPath: file, toPath: old)
            #expect(try await check(old, venv: venv, scenario: scenario) == "accepted")
            try await scenario.wait(for: .seconds(30), "a full rotation") { scenario.totalRotations() >= 1 }
            #expect(try await check(file, venv: venv, scenario: scenario) == "accepted")
            #expect(try await check(old, venv: venv, scenario: scenario) == "refused 401")
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            try FileManager.default.removeItem(atPath: old)
            try await scenario.finish()
        }

        /// Every type's official management SDK lists and regenerates against the emulator's twin
        /// unchanged but for the endpoint (`Tests/sdk/management_sdks.py`).
        @Test func everyManagementSDKListsAndRegeneratesAgainstTheEmulator() async throws {
            let venv = try await Self.virtualenv("python-mgmt", packages: Self.managementSDKs)
            let directory = try testDirectory("mgmt-sdks")
            let emulator = try await EmulatorProcess.start(["--types", "all", "--resources", "1"], directory: directory)
            defer { kill(emulator.child.pid, SIGKILL) }
            let info = directory + "/emulator.json"
            try JSONEncoder().encode(emulator.info).write(to: URL(fileURLWithPath: info))
            let child = try ChildProcess(
                venv + "/bin/python",
                [EndToEnd.repositoryRoot + "/Tests/sdk/management_sdks.py", info],
                directory: directory,
                label: "mgmt-sdks"
            )
            await child.wait(timeout: .seconds(300))
            let lines = child.stdout.split(separator: "\n").map(String.init)
            #expect(lines.count == EmulatedType.all.count, "one line per type: \(child.stdout) \(child.stderr)")
            for line in lines {
                #expect(line.contains("\"ok\": true"), "\(line)")
            }
        }

        /// Runs `Tests/sdk/SCRIPT` in `venv` against a fresh emulator, which prints one JSON object of
        /// named checks, and expects `count` of them, each true.
        func expectChecksPass(_ script: String, venv: String, count: Int) async throws {
            let label = String(script.prefix { $0 != "." })
            let directory = try testDirectory(label)
            let emulator = try await EmulatorProcess.start(["--resources", "1"], directory: directory)
            defer { kill(emulator.child.pid, SIGKILL) }
            let info = directory + "/emulator.json"
            try JSONEncoder().encode(emulator.info).write(to: URL(fileURLWithPath: info))
            let (status, out, errors) = try await ChildProcess.run(
                venv + "/bin/python",
                [EndToEnd.repositoryRoot + "/Tests/sdk/" + script, info],
                directory: directory,
                label: label,
                timeout: .seconds(120)
            )
            try #require(status == 0, "\(errors)")
            let results = try #require(try JSONSerialization.jsonObject(with: Data(out.utf8)) as? [String: Any], "\(out)")
            #expect(results.count == count, "\(results)")
            for (name, result) in results.sorted(by: { $0.key < $1.key }) {
                #expect(result as? Bool == true, "\(name): \(result)")
            }
        }

        /// Microsoft's Key Vault secrets SDK, its challenge flow unchanged (only its check that the
        /// host is below vault.azure.net is off, as the emulator is an IP address).
        @Test func theKeyVaultSecretsSDKSetsGetsListsAndUpdatesInTheEmulatorsVault() async throws {
            let venv = try await Self.virtualenv("python-keyvault", packages: ["azure-keyvault-secrets==4.12.0"])
            try await expectChecksPass("key_vault_secrets.py", venv: venv, count: 11)
        }

        /// Microsoft's Graph SDK and azure-identity against the emulator's Graph and Entra ID: an
        /// application read, a password added, signed in with, removed and then refused, a caller
        /// that does not own the application denied, a Graph token on every call, and none sent
        /// (and the call refused) unless `allowed_hosts` names the emulator.
        @Test func theGraphSDKAndAzureIdentityRotateAnApplicationsPassword() async throws {
            let venv = try await Self.virtualenv("python-graph", packages: Self.graphSDKs)
            print("graph: " + Self.graphSDKs.joined(separator: ", "))
            try await expectChecksPass("graph_applications.py", venv: venv, count: 11)
        }

        /// The Graph and identity packages, pinned (upgraded on purpose).
        static let graphSDKs = ["msgraph-sdk==1.65.0", "azure-identity==1.27.0", "msal==1.39.0", "httpx==0.29.0"]

        /// Microsoft's Blob Storage SDK against the emulator's Blob Storage, path-style: every lease
        /// state with every action and Azure's code for each refusal (`BlobLeaseClient`), uploads
        /// with a lease and an ETag, ranged and leased downloads, metadata, listing, Shared Key and
        /// Entra tokens for Storage, and the controls that expire, break and fault.
        @Test func theBlobStorageSDKDrivesTheLeaseStateMachineInTheEmulator() async throws {
            let venv = try await Self.virtualenv("python-blob", packages: ["azure-storage-blob==12.31.1"])
            try await expectChecksPass("blob_leases.py", venv: venv, count: 32)
        }
    }
}
