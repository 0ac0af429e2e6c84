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
            let consumerTask = Task { await consumer.run() }
            var generator = SystemRandomNumberGenerator()
            for i in 0..<15 {
                let daemon = try scenario.startDaemon(label: "daemon-\(i)")
                try await Task.sleep(for: .milliseconds(Int.random(in: 500...5000, using: &generator)))
                daemon.signal(SIGKILL)
                await daemon.wait()
            }
            let store = try JSONStateStoreReader(scenario.directory + "/state")
            let before = store.record("billing")?.rotations ?? 0
            let last = try scenario.startDaemon(label: "daemon-final")
            try await scenario.wait(for: .seconds(90), "two more rotations, ending idle after the removal") {
                guard let record = store.record("billing") else { return false }
                return record.rotations >= before + 2 && record.step == .idle
            } progress: {
                "\(store.record("billing").map { "\($0.step), \($0.rotations) rotations, \($0.lastError ?? "no error")" } ?? "no record")\n"
                    + String(last.stderr.suffix(3000))
            }
            last.signal(SIGTERM)
            #expect(await last.wait(timeout: .seconds(20)) == 0, "\(last.stderr.suffix(2000))")
            await consumer.stop()
            consumerTask.cancel()
            let refusals = await consumer.refusals
            #expect(refusals.isEmpty, "\(refusals.count) refused sign-ins: \(refusals.prefix(5))")
            #expect(await consumer.accepted > 100)
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
