import Foundation
import Glibc
import KeyRotation
import Testing

/// `verify = true` against an emulator whose new keys work only 1.5 s after ARM returned them.
extension EndToEnd {
    @Suite(.serialized)
    struct VerifyEndToEndTests {
        private func run(verify: Bool) async throws -> (violations: [String], log: String, scenario: Scenario) {
            let scenario = try await Scenario(
                verify ? "verify" : "noverify",
                emulatorArguments: ["--no-throttle", "--key-validity-delay", "1500ms"],
                resources: 2,
                every: "2s",
                grace: "300ms"
            )
            if verify {
                let config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
                try config.replacingOccurrences(of: "[defaults]\n", with: "[defaults]\nverify = true\n")
                    .write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            }
            let daemon = try await scenario.runWithConsumer(until: 4, within: .seconds(90))
            return (await scenario.consumer.violations, daemon.stderr, scenario)
        }

        @Test func verificationPublishesOnlyAKeyThatWorks() async throws {
            let (violations, log, scenario) = try await run(verify: true)
            #expect(violations == [], "a consumer never read a key the data plane refused")
            #expect(log.contains("does not work yet against the Azure Communication Services data plane"), "the delay was exercised")
            #expect(log.contains("key works against the Azure Communication Services data plane"))
            try await scenario.finish()
        }

        @Test func withoutVerificationConsumersWouldReadAKeyThatDoesNotWorkYet() async throws {
            let (violations, _, scenario) = try await run(verify: false)
            #expect(!violations.isEmpty, "the emulator's validity delay bites when nothing waits for it")
            try await scenario.finish()
        }
    }
}
