import Foundation
import Glibc
import KeyRotation
import SecretFiles
import Testing

/// An app registration's client secret rotated by the real daemon through the emulator's Microsoft
/// Graph, while an application signs in with the secret in the published file all along.
extension EndToEnd {
    @Suite(.serialized)
    struct ApplicationEndToEndTests {
        /// A replication window of several seconds, in which the token endpoint accepts a new secret
        /// only now and then, and random SIGKILLs: the file never holds a secret the token endpoint
        /// refuses, no secret of keyrotd's is left behind, and another party's password is untouched.
        @Test func aSecretRotatesThroughSIGKILLsWithoutARefusedSignIn() async throws {
            let scenario = try await Scenario(
                "application",
                emulatorArguments: ["--no-throttle", "--credential-replication-delay", "3s"],
                resources: 0,
                every: "4s",
                grace: "2s"
            )
            let app = try await scenario.emulator.control(
                "POST",
                "/_emulator/applications",
                body: #"{"displayName": "billing", "passwords": [{"displayName": "made by hand", "days": 90}]}"#,
                expecting: 201
            )
            let clientID = try #require(app["appId"] as? String)
            let objectID = try #require(app["id"] as? String)
            let foreign = try #require((app["passwords"] as? [[String: Any]])?.first)
            let foreignKey = try #require(foreign["keyId"] as? String)
            let foreignSecret = try #require(foreign["secretText"] as? String)
            try appendApplication(
                to: scenario.configPath,
                "[[application]]\nname = \"billing\"\nclient_id = \"\(clientID)\"\nlifetime = \"8d\"\nsettle = \"1s\"\nexpiry_warning = \"1d\"\n"
            )
            let file = scenario.directory + "/secrets/billing.key"
            let consumer = try TokenConsumer(
                file: file,
                clientID: clientID,
                tenant: scenario.emulator.info.tenant,
                baseURL: scenario.emulator.info.baseURL,
                caFile: scenario.emulator.info.caFile
            )
            try await rotateThroughKills(scenario, entry: "billing", kills: 15, consumer: consumer, signIns: 100)
            // Only the published secret of keyrotd's remains, and the hand-made one is untouched.
            let listed = try await scenario.emulator.control("GET", "/_emulator/applications/\(objectID)", expecting: 200)
            let passwords = try #require(listed["passwordCredentials"] as? [[String: Any]])
            let ours = passwords.filter { ($0["displayName"] as? String)?.hasPrefix("keyrotd billing ") == true }
            #expect(ours.count == 1, "keyrotd's passwords left: \(ours.map { $0["displayName"] ?? "" })")
            #expect(passwords.contains { $0["keyId"] as? String == foreignKey })
            let stats = try await scenario.emulator.stats()
            #expect((stats["replicationRefusals"] ?? 0) > 0, "the verifier was never refused: the replication window was not exercised")
            print(
                "application: \(stats["passwordsAdded"] ?? 0) secrets added, \(stats["passwordsRemoved"] ?? 0) removed, \(await consumer.accepted) sign-ins"
            )
            try await scenario.finish(extraSecrets: (await consumer.seenSecrets).union([foreignSecret]))
        }

        /// A watched application with a password ending tomorrow and a rotated one: every credential's
        /// end in the metrics file (parsed by prometheus_client), `status`, and a `credential-expiring`
        /// warning for the one ending within its warning.
        @Test func theWatchShowsEveryCredentialsEnd() async throws {
            let venv = try await OfficialSDKTests.virtualenv("python-prometheus", packages: ["prometheus-client==0.26.0"])
            let scenario = try await Scenario("application-watch", emulatorArguments: ["--no-throttle"], resources: 0, every: "1h", grace: "1s")
            let partner = try await scenario.emulator.control(
                "POST",
                "/_emulator/applications",
                body: #"{"displayName": "partner", "owners": [], "passwords": [{"displayName": "sso secret", "days": 0.5}]}"#,
                expecting: 201
            )
            let billing = try await scenario.emulator.control("POST", "/_emulator/applications", body: "{}", expecting: 201)
            let partnerObject = try #require(partner["id"] as? String)
            let billingClient = try #require(billing["appId"] as? String)
            let metrics = scenario.directory + "/keyrotd.prom"
            let config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "[daemon]\n", with: "[daemon]\nmetrics_file = \"\(metrics)\"\napplication_watch_interval = \"1s\"\n")
                .write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            try appendApplication(
                to: scenario.configPath,
                "[[application]]\nname = \"partner\"\nobject_id = \"\(partnerObject)\"\nrotate = false\nexpiry_warning = \"1d\"\n\n"
                    + "[[application]]\nname = \"billing\"\nclient_id = \"\(billingClient)\"\nlifetime = \"8d\"\nsettle = \"0s\"\nexpiry_warning = \"1d\"\n"
            )
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(60), "both applications in the metrics file, billing's secret published") {
                guard daemon.isRunning else { throw TestFailure("the daemon exited: \(daemon.stderr.suffix(2000))") }
                let text = (try? String(contentsOfFile: metrics, encoding: .utf8)) ?? ""
                return text.contains(#"application="partner""#) && text.contains("display_name=\"keyrotd billing primary ")
            } progress: {
                String(daemon.stderr.suffix(3000))
            }
            let families = try await MetricsEndToEndTests().parse(metrics, venv: venv, scenario: scenario)
            let ends = try #require(families.first { $0.name == "keyrotd_application_credential_end_timestamp_seconds" })
            #expect(ends.type == "gauge" && !ends.help.isEmpty)
            let sso = try #require(ends.samples.first { $0.labels["application"] == "partner" })
            #expect(sso.labels["display_name"] == "sso secret" && sso.labels["kind"] == "password")
            #expect(abs(sso.value - Date().addingTimeInterval(43_200).timeIntervalSince1970) < 120)
            #expect(
                ends.samples.contains {
                    $0.labels["application"] == "billing" && $0.labels["display_name"]?.hasPrefix("keyrotd billing primary ") == true
                }
            )
            #expect(families.first { $0.name == "keyrotd_application_read_failing" }?.samples.allSatisfy { $0.value == 0 } == true)
            let (code, json, errors) = try await scenario.keyrotd(["status", "--json"], label: "status")
            try #require(code == 0, "\(errors)")
            struct Report: Decodable {
                struct Application: Decodable {
                    struct Credential: Decodable { var displayName: String }
                    var application: String
                    var credentials: [Credential]
                }
                var applications: [Application]
            }
            let report = try JSONDecoder().decode(Report.self, from: Data(json.utf8))
            #expect(report.applications.map(\.application) == ["partner", "billing"])
            #expect(report.applications.first?.credentials.first?.displayName == "sso secret")
            let (_, text, _) = try await scenario.keyrotd(["status"], label: "status-text")
            #expect(text.contains("application partner: nearest password \"sso secret\" ends in 11h"), "\(text)")
            #expect(daemon.stderr.contains("keyrotd_event=credential-expiring") && daemon.stderr.contains("\"sso secret\""))
            #expect(!daemon.stderr.contains("keyrotd_event=credential-expiring keyrotd_resource=billing"))
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            try await scenario.finish()
        }

        /// keyrotd signs in as an application and rotates that application's own secret (own_secret)
        /// through SIGKILLs, while it rotates an ACS resource as the same application: the new secret
        /// goes to the credentials directory (0700/0600), keyrotd signs in with it after a restart,
        /// the ACS rotations go on, the bootstrap password is left alone, and `check` reports a
        /// missing bootstrap file as superseded.
        @Test func keyrotdRotatesItsOwnSecretAndKeepsWorking() async throws {
            let scenario = try await Scenario(
                "own-secret",
                emulatorArguments: ["--no-throttle", "--credential-replication-delay", "2s"],
                resources: 1,
                every: "3s",
                grace: "1s"
            )
            let app = try await scenario.emulator.control(
                "POST",
                "/_emulator/applications",
                body: #"{"displayName": "keyrotd", "owners": ["self"], "passwords": [{"displayName": "bootstrap", "days": 7}]}"#,
                expecting: 201
            )
            let clientID = try #require(app["appId"] as? String)
            let objectID = try #require(app["id"] as? String)
            let bootstrap = try #require((app["passwords"] as? [[String: Any]])?.first)
            let bootstrapSecret = try #require(bootstrap["secretText"] as? String)
            let bootstrapFile = scenario.directory + "/bootstrap-secret"
            _ = FileManager.default.createFile(atPath: bootstrapFile, contents: Data(bootstrapSecret.utf8), attributes: [.posixPermissions: 0o600])
            var config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            config = config.replacingOccurrences(of: "client_id = \"\(scenario.emulator.info.clientID)\"", with: "client_id = \"\(clientID)\"")
                .replacingOccurrences(
                    of: "client_secret_file = \"\(scenario.directory)/client-secret\"",
                    with: "client_secret_file = \"\(bootstrapFile)\""
                )
            try config.write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            try appendApplication(
                to: scenario.configPath,
                "[[application]]\nname = \"keyrotd-self\"\nown_secret = true\nevery = \"4s\"\ngrace = \"2s\"\nlifetime = \"8d\"\nsettle = \"2s\"\nexpiry_warning = \"1d\"\n"
            )
            let store = try JSONStateStoreReader(scenario.directory + "/state")
            var generator = SystemRandomNumberGenerator()
            for i in 0..<6 {
                let daemon = try scenario.startDaemon(label: "daemon-\(i)")
                try await Task.sleep(for: .milliseconds(Int.random(in: 1500...6000, using: &generator)))
                daemon.signal(SIGKILL)
                await daemon.wait()
            }
            let rotated = scenario.directory + "/credentials/emulator.secret"
            let before = store.record("keyrotd-self")?.rotations ?? 0
            let acsBefore = store.record("acs-001")?.rotations ?? 0
            let last = try scenario.startDaemon(label: "daemon-final")
            try await scenario.wait(for: .seconds(90), "two more own rotations, idle, and the resource rotating on") {
                guard last.isRunning else { throw TestFailure("the daemon exited: \(last.stderr.suffix(2000))") }
                guard let own = store.record("keyrotd-self"), let acs = store.record("acs-001") else { return false }
                return own.rotations >= before + 2 && own.step == .idle && acs.rotations >= acsBefore + 3
            } progress: {
                "own: \(store.record("keyrotd-self").map { "\($0.step), \($0.rotations), \($0.lastError ?? "-")" } ?? "none"); acs: \(store.record("acs-001").map { "\($0.rotations), \($0.lastError ?? "-")" } ?? "none")\n"
                    + String(last.stderr.suffix(3000))
            }
            let (_, status, _) = try await scenario.keyrotd(["status"], label: "status")
            #expect(status.contains("credential emulator: signs in with the secret keyrotd rotated"), "\(status)")
            last.signal(SIGTERM)
            #expect(await last.wait(timeout: .seconds(20)) == 0, "\(last.stderr.suffix(2000))")
            let fileMode = try #require(try FileManager.default.attributesOfItem(atPath: rotated)[.posixPermissions] as? Int)
            let directoryMode = try #require(
                try FileManager.default.attributesOfItem(atPath: scenario.directory + "/credentials")[.posixPermissions] as? Int
            )
            #expect(fileMode == 0o600 && directoryMode == 0o700)
            let listed = try await scenario.emulator.control("GET", "/_emulator/applications/\(objectID)", expecting: 200)
            let passwords = try #require(listed["passwordCredentials"] as? [[String: Any]])
            #expect(passwords.filter { ($0["displayName"] as? String)?.hasPrefix("keyrotd keyrotd-self ") == true }.count == 1)
            #expect(passwords.contains { $0["displayName"] as? String == "bootstrap" }, "the bootstrap password is the operator's")
            #expect(last.stderr.contains("keyrotd_event=key-retired"))
            // Without its bootstrap file the configuration still checks: the rotated secret supersedes it.
            try FileManager.default.removeItem(atPath: bootstrapFile)
            let (code, _, checked) = try await scenario.keyrotd(["check"], label: "check")
            #expect(code == 0 && checked.contains("superseded"), "\(checked)")
            let ownSecret = try String(contentsOfFile: rotated, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
            try await scenario.finish(extraSecrets: [bootstrapSecret, ownSecret], excluding: [bootstrapFile])
        }

        /// A certificate credential rotated through SIGKILLs with a 3-s replication window, while an
        /// application signs in with the key and certificate in the published file every 100 ms: no
        /// refused sign-in, one certificate of keyrotd's at the end, the bootstrap certificate (which
        /// signed the first proof of possession) untouched.
        @Test func aCertificateRotatesThroughSIGKILLsWithoutARefusedSignIn() async throws {
            let scenario = try await Scenario(
                "application-certificate",
                emulatorArguments: ["--no-throttle", "--credential-replication-delay", "3s"],
                resources: 0,
                every: "4s",
                grace: "2s"
            )
            let app = try await scenario.emulator.control(
                "POST",
                "/_emulator/applications",
                body: #"{"displayName": "signing", "certificateDays": 30}"#,
                expecting: 201
            )
            let clientID = try #require(app["appId"] as? String)
            let objectID = try #require(app["id"] as? String)
            let bootstrap = try #require(app["privateKeyPEM"] as? String) + "\n" + (try #require(app["certificatePEM"] as? String))
            let proofFile = scenario.directory + "/bootstrap.pem"
            _ = FileManager.default.createFile(atPath: proofFile, contents: Data(bootstrap.utf8), attributes: [.posixPermissions: 0o600])
            try appendApplication(
                to: scenario.configPath,
                "[[application]]\nname = \"signing\"\nclient_id = \"\(clientID)\"\ncertificate = true\nproof_file = \"\(proofFile)\"\n"
                    + "lifetime = \"8d\"\nsettle = \"1s\"\nexpiry_warning = \"1d\"\n"
            )
            let consumer = try TokenConsumer(
                file: scenario.directory + "/secrets/signing.key",
                clientID: clientID,
                tenant: scenario.emulator.info.tenant,
                baseURL: scenario.emulator.info.baseURL,
                caFile: scenario.emulator.info.caFile,
                certificate: true
            )
            try await rotateThroughKills(scenario, entry: "signing", kills: 10, consumer: consumer, signIns: 50)
            let listed = try await scenario.emulator.control("GET", "/_emulator/applications/\(objectID)", expecting: 200)
            let keys = try #require(listed["keyCredentials"] as? [[String: Any]])
            #expect(
                keys.filter { ($0["displayName"] as? String)?.hasPrefix("keyrotd signing ") == true }.count == 1,
                "\(keys.map { $0["displayName"] ?? "" })"
            )
            #expect(keys.contains { $0["displayName"] as? String == "bootstrap" })
            let ours = try String(contentsOfFile: scenario.directory + "/secrets/signing.key", encoding: .utf8)
            try await scenario.finish(
                extraSecrets: Set([bootstrap, ours.trimmingCharacters(in: .whitespacesAndNewlines)]),
                excluding: [proofFile]
            )
        }

        /// With `consumer` signing in all along: starts the daemon and SIGKILLs it `kills` times, each
        /// after 0.5 to 5 s, then runs it until `entry` completed two more rotations and rests idle
        /// after its removal, and stops it; no sign-in may have been refused, and more than `signIns`
        /// must have succeeded.
        private func rotateThroughKills(_ scenario: Scenario, entry: String, kills: Int, consumer: TokenConsumer, signIns: Int) async throws {
            let consumerTask = Task { await consumer.run() }
            var generator = SystemRandomNumberGenerator()
            for i in 0..<kills {
                let daemon = try scenario.startDaemon(label: "daemon-\(i)")
                try await Task.sleep(for: .milliseconds(Int.random(in: 500...5000, using: &generator)))
                daemon.signal(SIGKILL)
                await daemon.wait()
            }
            let store = try JSONStateStoreReader(scenario.directory + "/state")
            let before = store.record(entry)?.rotations ?? 0
            let last = try scenario.startDaemon(label: "daemon-final")
            try await scenario.wait(for: .seconds(90), "two more rotations, ending idle after the removal") {
                guard let record = store.record(entry) else { return false }
                return record.rotations >= before + 2 && record.step == .idle
            } progress: {
                "\(store.record(entry).map { "\($0.step), \($0.rotations) rotations, \($0.lastError ?? "no error")" } ?? "no record")\n"
                    + String(last.stderr.suffix(3000))
            }
            last.signal(SIGTERM)
            #expect(await last.wait(timeout: .seconds(20)) == 0, "\(last.stderr.suffix(2000))")
            await consumer.stop()
            consumerTask.cancel()
            let refusals = await consumer.refusals
            #expect(refusals.isEmpty, "\(refusals.count) refused sign-ins: \(refusals.prefix(5))")
            #expect(await consumer.accepted > signIns)
        }

        /// Adds `table` to the configuration at `path`.
        private func appendApplication(to path: String, _ table: String) throws {
            let text = try String(contentsOfFile: path, encoding: .utf8)
            try (text + "\n" + table).write(toFile: path, atomically: true, encoding: .utf8)
        }
    }
}

/// Reads a daemon's state records from its state directory while it runs.
struct JSONStateStoreReader {
    private let store: JSONStateStore

    init(_ directory: String) throws { store = try JSONStateStore(stateDirectory: directory) }

    /// The record of `name`, when there is one and it reads.
    func record(_ name: String) -> ResourceState? { (try? store.load(name)) ?? nil }
}
