import AzureEmulator
import Foundation
import Glibc
import KeyRotation
import Testing

/// The real daemon rotating one resource of every type against the emulator's twins, a consumer
/// authenticating with each published file through that type's data plane all along.
extension EndToEnd {
    @Suite(.serialized)
    struct ResourceTypeEndToEndTests {
        @Test(arguments: ["full", "alternate"])
        func everyTypeRotatesWithoutAConsumerFailure(strategy: String) async throws {
            let scenario = try await Scenario(
                "types-\(strategy)",
                emulatorArguments: ["--no-throttle", "--types", "all"],
                resources: 1,
                every: "2s",
                grace: "500ms",
                strategy: strategy,
                defaults: "format = \"json\""
            )
            let types = EmulatedType.all.count
            _ = try await scenario.runWithConsumer(until: 3 * types, within: .seconds(180))
            #expect(await scenario.consumer.violations == [])
            #expect(await scenario.consumer.malformed == [])
            #expect(await scenario.consumer.finalCheck().isEmpty)
            let records = try scenario.records()
            #expect(records.count == types)
            for (name, record) in records.sorted(by: { $0.key < $1.key }) {
                #expect(record.rotations >= 1, "\(name) rotated")
                #expect(record.lastError == nil, "\(name): \(record.lastError ?? "")")
            }
            let stats = try await scenario.emulator.stats()
            #expect((stats["operationsStarted"] ?? 0) > 0, "the long-running types were polled")
            #expect((stats["dataPlaneAccepted"] ?? 0) > 15 * types)
            try await scenario.finish()
        }

        /// `verify = true` for every type, against new keys that work only
        /// 1.5 s after ARM returned them: no consumer ever reads a key that does not work yet.
        @Test func verificationWaitsForEveryTypesNewKeyToWork() async throws {
            let types = EmulatedType.all.map(\.name)
            let scenario = try await Scenario(
                "types-verify",
                emulatorArguments: ["--no-throttle", "--types", types.joined(separator: ","), "--key-validity-delay", "1500ms"],
                resources: 1,
                every: "3s",
                grace: "300ms",
                defaults: "format = \"json\"\nverify = true"
            )
            let daemon = try await scenario.runWithConsumer(until: 2 * types.count, within: .seconds(180))
            #expect(await scenario.consumer.violations == [])
            for title in ["Azure Storage accounts", "Azure Service Bus", "Azure Cosmos DB", "Azure SignalR Service", "Azure App Configuration"] {
                #expect(daemon.stderr.contains("key works against the \(title) data plane"), "\(title) was verified")
            }
            #expect(daemon.stderr.contains("does not work yet against the"), "the delay was exercised")
            try await scenario.finish()
        }
    }
}
