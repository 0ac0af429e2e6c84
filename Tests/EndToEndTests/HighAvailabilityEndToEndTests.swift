import AzureClient
import Foundation
import Glibc
import KeyRotation
import Logging
import Testing

extension EndToEnd {
    /// Two keyrotd nodes of one group against the emulator, each with its own state, runtime and
    /// secrets directories: one leads and rotates with its journal in Blob Storage, the other
    /// stands by; the leader is killed and the standby takes the lease and the journal over and
    /// rotates on, while a consumer of the vault authenticates all along. Node a ran on its own
    /// first: the group's first leader goes on from its records.
    @Suite(.serialized)
    struct HighAvailabilityEndToEndTests {
        @Test func aStandbyTakesOverFromAKilledLeaderAndRotatesOn() async throws {
            let scenario = try await Scenario(
                "ha",
                emulatorArguments: ["--no-throttle"],
                resources: 2,
                every: "3s",
                grace: "2s",
                requestTimeout: "5s"
            )
            try scenario.addVaultOutputs()
            // Node a ran on its own before the group existed: its records move into the journal.
            let single = try scenario.startDaemon(label: "single-host")
            try await scenario.wait(for: .seconds(30), "rotations on a single host") { scenario.totalRotations() >= 2 }
            single.signal(SIGTERM)
            #expect(await single.wait(timeout: .seconds(20)) == 0, "\(single.stderr.suffix(2000))")
            let nodes = try scenario.groupNodes(["node-a", "node-b"])
            let transport = AsyncHTTPClientTransport(extraCAFile: scenario.emulator.info.caFile)
            do {
                try await exercise(scenario, nodeB: nodes[1], transport: transport)
            } catch {
                try? await transport.shutdown()
                throw error
            }
            try await transport.shutdown()
        }

        private func exercise(_ scenario: Scenario, nodeB: GroupNode, transport: AsyncHTTPClientTransport) async throws {
            let info = scenario.emulator.info
            let configB = nodeB.config
            let storage = try await scenario.createGroupContainer(transport: transport)

            let vault = try KeyVaultEndToEndTests.reader(scenario, transport: transport)
            let checker = DataPlaneClient(transport: transport, extraCAFile: info.caFile, sleep: { try await Task.sleep(for: $0) })
            let consumer = KeyVaultEndToEndTests.VaultConsumer(
                vault: vault,
                secrets: scenario.configuration.resources.map { ("\($0.name)-conn", $0.id) },
                client: checker,
                grace: 1
            )
            // Every node's files come from the vault through its own followers, the leader's too:
            // an application on each host reads them all along.
            let consumerB = Consumer(files: nodeB.files, caFile: info.caFile, grace: .seconds(2))
            let consuming = [Task { await consumer.run() }, Task { await scenario.consumer.run() }, Task { await consumerB.run() }]
            defer { for task in consuming { task.cancel() } }

            let a = try scenario.startDaemon(label: "node-a")
            try await scenario.wait(for: .seconds(30), "node-a leads") { a.stderr.contains("this node leads the group") }
            let b = try scenario.startDaemon(label: "node-b", config: configB)
            let alone = try await scenario.emulator.stats()["regenerations"] ?? 0
            try await scenario.wait(for: .seconds(30), "rotations by node-a") {
                try await scenario.emulator.stats()["regenerations"] ?? 0 >= alone + 4
            }
            #expect(!b.stderr.contains("this node leads the group"), "two leaders: \(b.stderr.suffix(2000))")
            // The leader went on from the single host's records: nothing was adopted again. Each record
            // held its file's digest and now holds the vault's fingerprint: one repair read each.
            #expect(a.stderr.contains("moved 2 records of this host's state directory into the group's journal"))
            #expect(try await scenario.emulator.stats()["listKeys"] == 4)
            // Each node says what it is; the standby names the leader and sends a `rotate` there.
            struct Report: Decodable { var group: GroupStatus? }
            let (_, leaderJSON, _) = try await scenario.keyrotd(["status", "--json"], label: "status-a")
            let leader = try JSONDecoder().decode(Report.self, from: Data(leaderJSON.utf8)).group
            #expect(leader?.role == .leader && leader?.epoch == 1 && leader?.rotating == true, "\(leaderJSON)")
            let (_, standbyJSON, _) = try await scenario.keyrotd(["status", "--json"], label: "status-b", config: configB)
            let standby = try JSONDecoder().decode(Report.self, from: Data(standbyJSON.utf8)).group
            #expect(standby?.role == .standby && standby?.leader == "node-a", "\(standbyJSON)")
            let name = scenario.configuration.resources[0].name
            let (refused, _, refusal) = try await scenario.keyrotd(["rotate", name], label: "rotate-b", config: configB)
            #expect(refused == 1 && refusal.contains("this node (node-b) is a standby; the leader is node-a"), "\(refusal)")
            // The leader's records are in the journal, not in its state directory.
            let records = try await storage.list(prefix: "records/")
            #expect(Set(records) == Set(scenario.configuration.resources.map { "records/" + $0.name }))

            a.signal(SIGKILL)
            await a.wait()
            let killedAt = try await scenario.emulator.stats()["regenerations"] ?? 0
            try await scenario.wait(for: .seconds(45), "node-b leads") { b.stderr.contains("this node leads the group") }
            // systemd restarts node a, which stands by and delivers the new leader's keys on its host.
            let restarted = try scenario.startDaemon(label: "node-a-restarted")
            // Node a did not release cleanly: b waits out a's lease and request timeout (20 s) before acting.
            try await scenario.wait(for: .seconds(25), "node-b waits") { b.stderr.contains("waiting out its lease and request timeout") }
            #expect(try await scenario.emulator.stats()["regenerations"] ?? 0 == killedAt, "node-b acted before the quiet period ended")
            try await scenario.wait(for: .seconds(60), "rotations by node-b") {
                try await scenario.emulator.stats()["regenerations"] ?? 0 >= killedAt + 4
            }
            #expect(!restarted.stderr.contains("this node leads the group"))
            // The applications stop first and the files are checked while both nodes still run:
            // a node that stops delivering leaves its host's files to go stale, as it should.
            await consumer.stop()
            await scenario.consumer.stop()
            await consumerB.stop()
            let violations = await consumer.violations
            #expect(violations.isEmpty, "\(violations)")
            #expect(await consumer.accepted > 0)
            for (node, files) in [("node-a", scenario.consumer), ("node-b", consumerB)] {
                #expect(await files.violations == [], "\(node)")
                #expect(await files.malformed == [], "\(node)")
                #expect(await files.accepted > 100, "\(node)")
                #expect(await files.finalCheck().isEmpty, "\(node)")
            }
            restarted.signal(SIGTERM)
            b.signal(SIGTERM)
            #expect(await restarted.wait(timeout: .seconds(20)) == 0, "\(restarted.stderr.suffix(2000))")
            #expect(await b.wait(timeout: .seconds(20)) == 0, "\(b.stderr.suffix(2000))")
            #expect(b.stderr.contains("stopped leading the group (released)"))
            await consumerB.close()
            // Versions written after the takeover carry the second leadership's epoch.
            for resource in scenario.configuration.resources {
                let epochs = try await vault.versions("\(resource.name)-conn").compactMap { $0.tags[KeyVaultOutput.Tag.epoch].flatMap { Int($0) } }
                #expect(epochs.contains(1) && epochs.contains(2), "\(resource.name): \(epochs)")
            }
            // Node b's secret files and the reader's secret are meant to hold secrets; nothing else may.
            let nodeB = URL(fileURLWithPath: configB).deletingLastPathComponent().path
            try await scenario.finish(
                extraSecrets: (await consumer.seen).union(await consumerB.seenSecrets),
                excluding: [nodeB + "/secrets", scenario.directory + "/reader-secret"]
            )
        }
    }
}
