import Foundation
import Glibc
import KeyRotation
import Testing

/// The real daemon against the real emulator, with a consumer authenticating all along.
extension EndToEnd {
    @Suite(.serialized)
    struct RotationEndToEndTests {
        @Test func fiveHundredFullRotationsWithoutAConsumerFailure() async throws {
            let scenario = try await Scenario("load", emulatorArguments: ["--no-throttle"], resources: 20, every: "1s", grace: "400ms")
            _ = try await scenario.runWithConsumer(until: 500, within: .seconds(240))
            #expect(await scenario.consumer.violations == [])
            #expect(await scenario.consumer.malformed == [])
            #expect(await scenario.consumer.accepted > 1000)
            #expect(await scenario.consumer.finalCheck().isEmpty)
            let records = try scenario.records()
            #expect(records.values.allSatisfy { $0.published == .primary || $0.step != .idle })
            let stats = try await scenario.emulator.stats()
            // One write per regenerated key plus one listKeys per resource at adoption: no wasted budget.
            #expect(stats["listKeys"] == 20)
            #expect(stats["armWrites"] == (stats["regenerations"] ?? 0) + 20)
            try await scenario.finish()
        }

        /// Across a mix of types, two of them long-running (SignalR and Cosmos DB answer 202 and are
        /// polled): a kill while ARM runs a regeneration is resumed by following the journaled operation.
        @Test func survivesAHundredSIGKILLsWithTheInvariantIntact() async throws {
            let scenario = try await Scenario(
                "sigkill",
                emulatorArguments: [
                    "--no-throttle", "--types", "communication,signalr,cosmosdb,storage,servicebus", "--operation-duration", "300ms",
                ],
                resources: 1,
                every: "1s",
                grace: "500ms",
                defaults: "format = \"json\""
            )
            let consumerTask = Task { await scenario.consumer.run() }
            var generator = SystemRandomNumberGenerator()
            var kills = 0
            for i in 0..<100 {
                let daemon = try scenario.startDaemon(label: "daemon-\(i)")
                try await Task.sleep(for: .milliseconds(Int.random(in: 30...900, using: &generator)))
                daemon.signal(SIGKILL)
                await daemon.wait()
                kills += 1
            }
            // Every resource, not just the group, must go on: two more rotations each prove that none was
            // left stuck at whatever point its last kill fell.
            let before = try scenario.records().mapValues(\.rotations)
            let last = try scenario.startDaemon(label: "daemon-final")
            try await scenario.wait(for: .seconds(60), "every resource to rotate twice after the last restart") {
                try scenario.records().allSatisfy { name, record in record.rotations >= (before[name] ?? 0) + 2 }
            } progress: {
                ((try? scenario.records()) ?? [:]).sorted { $0.key < $1.key }
                    .map { "\($0.key): \($0.value.step), \($0.value.rotations) rotations (\(before[$0.key] ?? 0) before)" }
                    .joined(separator: "; ") + "\n" + String(last.stderr.suffix(3000))
            }
            last.signal(SIGTERM)
            #expect(await last.wait(timeout: .seconds(20)) == 0)
            await scenario.consumer.stop()
            consumerTask.cancel()
            #expect(await scenario.consumer.violations == [])
            #expect(await scenario.consumer.malformed == [])
            #expect(await scenario.consumer.finalCheck().isEmpty)
            let records = try scenario.records()
            let stats = try await scenario.emulator.stats()
            let recorded = records.values.map(\.regenerations).reduce(0, +)
            let rotations = records.values.map(\.rotations).reduce(0, +)
            // Every completed rotation regenerated exactly two keys; a regeneration is repeated only when a
            // kill fell between ARM's answer and the durable record of it: at most one per kill.
            #expect(rotations > 0)
            #expect((stats["regenerations"] ?? 0) >= recorded)
            #expect((stats["regenerations"] ?? 0) <= 2 * rotations + kills)
            #expect(recorded >= 2 * rotations)
            try await scenario.finish()
        }
    }
}
