import Foundation
import Glibc
import KeyRotation
import Testing

/// Every fault flag of the emulator against the real daemon.
extension EndToEnd {
    @Suite(.serialized)
    struct FaultEndToEndTests {
        @Test func retriesThroughTransportFaultsWithoutBreakingTheInvariantOrAFile() async throws {
            let scenario = try await Scenario(
                "faults",
                emulatorArguments: [
                    "--no-throttle", "--latency", "0ms-40ms", "--error-rate", "500=0.08", "--error-rate", "503=0.08", "--error-rate", "429=0.05",
                    "--reset-rate", "0.05", "--timeout-rate", "0.03", "--malformed-rate", "0.05", "--seed", "7",
                ],
                resources: 5,
                every: "1s",
                grace: "300ms",
                requestTimeout: "1s"
            )
            let daemon = try await scenario.runWithConsumer(until: 40, within: .seconds(150))
            #expect(await scenario.consumer.violations == [])
            #expect(await scenario.consumer.malformed == [])
            #expect(await scenario.consumer.finalCheck().isEmpty)
            let stats = try await scenario.emulator.stats()
            for fault in ["injectedErrors", "injectedResets", "injectedTimeouts", "injectedMalformed"] {
                #expect((stats[fault] ?? 0) > 0, "\(fault) was never exercised: \(stats)")
            }
            let log = daemon.stderr
            #expect(log.contains("retrying") || log.contains("waiting as asked"))
            try await scenario.finish()
        }

        @Test func repairsAKeyRegeneratedOutOfBand() async throws {
            let scenario = try await Scenario(
                "oob",
                emulatorArguments: ["--no-throttle", "--full-regenerate-response", "--oob-regenerate-every", "400ms", "--seed", "3"],
                resources: 2,
                every: "1s",
                grace: "200ms"
            )
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(60), "a drift to be detected") { daemon.stderr.contains("regenerated outside keyrotd") }
            try await scenario.wait(for: .seconds(30), "rotations to go on") { scenario.totalRotations() >= 6 }
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            #expect(daemon.stderr.contains("keyrotd_event=drift-detected"))
            #expect((try await scenario.emulator.stats())["outOfBandRegenerations"] ?? 0 > 0)
            try await scenario.finish()
        }

        @Test func aRefusalARMDoesNotRetryIsReportedWithItsCodeAndRequestID() async throws {
            let scenario = try await Scenario(
                "forbidden",
                emulatorArguments: ["--no-throttle", "--error-rate", "403=1.0"],
                resources: 2,
                every: "1s",
                grace: "200ms"
            )
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(30), "the failure to be recorded") {
                let records = try scenario.records()
                return records.count == 2 && records.values.allSatisfy { $0.consecutiveFailures >= 2 }
            }
            let (status, json, _) = try await scenario.keyrotd(["status", "--json"], label: "status")
            #expect(status == 0)
            #expect(json.contains("AuthorizationFailed"))
            #expect(json.contains("request id"))
            #expect(json.contains("\"daemonPID\" : \(daemon.pid)"))
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            // No retry inside an operation for a 403: one request per scheduled attempt.
            let records = try scenario.records()
            let attempts = records.values.map(\.consecutiveFailures).reduce(0, +)
            let stats = try await scenario.emulator.stats()
            #expect((stats["injectedErrors"] ?? 0) <= attempts + 2)
            #expect(!FileManager.default.fileExists(atPath: scenario.configuration.daemon.secretsDirectory + "/acs-001.conn"))
            try await scenario.finish()
        }

        @Test func staysWithinARMsWriteBudgetThroughThrottling() async throws {
            let scenario = try await Scenario(
                "throttle",
                emulatorArguments: ["--write-burst", "10", "--write-refill", "4"],
                resources: 10,
                every: "1s",
                grace: "200ms"
            )
            let daemon = try await scenario.runWithConsumer(until: 20, within: .seconds(90))
            #expect(await scenario.consumer.violations == [])
            #expect((try await scenario.emulator.stats())["throttled"] ?? 0 > 0)
            #expect(daemon.stderr.contains("waiting as asked"))
            try await scenario.finish()
        }
    }
}
