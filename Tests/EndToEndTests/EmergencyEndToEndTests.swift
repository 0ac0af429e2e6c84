import Foundation
import Glibc
import KeyRotation
import Testing

/// `keyrotd rotate --emergency` watched by a consumer.
extension EndToEnd {
    @Suite(.serialized)
    struct EmergencyEndToEndTests {
        @Test func anEmergencyReplacesBothKeysAndConsumersFailOnlyInsideIt() async throws {
            let scenario = try await Scenario("emergency", emulatorArguments: ["--no-throttle"], resources: 1, every: "30d", grace: "1s")
            // Adopt and rotate once the normal way; the primary is published and nothing is due for 30 days.
            let (adopted, adoptOut, _) = try await scenario.keyrotd(["rotate", "acs-001", "--wait"], label: "rotate")
            #expect(adopted == 0, "\(adoptOut)")
            #expect(try scenario.records()["acs-001"]?.step == .idle)
            let consumerTask = Task { await scenario.consumer.run() }
            try await Task.sleep(for: .milliseconds(500))

            let before = try await scenario.emulator.stats()["regenerations"] ?? 0
            let start = Date()
            let (status, out, err) = try await scenario.keyrotd(["rotate", "--emergency", "acs-001"], label: "emergency")
            let end = Date()
            #expect(status == 0, "\(out)\(err)")
            #expect(out.contains("acs-001: rotated"))
            #expect(err.contains("EMERGENCY rotation requested") && err.contains("keyrotd_event=emergency-rotation"))
            try await Task.sleep(for: .milliseconds(500))
            scenario.consumer.stopNow()
            consumerTask.cancel()

            #expect((try await scenario.emulator.stats()["regenerations"] ?? 0) - before == 2, "both keys, once each")
            let record = try #require(try scenario.records()["acs-001"])
            #expect(record.step == .idle && record.emergencySince == nil)
            let denials = await scenario.consumer.deniedAt
            // A denial answers a request sent up to one HTTP timeout earlier; none before the
            // emergency started, none after it ended (plus that one request's flight).
            #expect(denials.allSatisfy { $0 >= start && $0 <= end.addingTimeInterval(10) }, "\(denials) outside \(start)…\(end)")
            #expect(await scenario.consumer.accepted > 0)
            #expect(await scenario.consumer.finalCheck().isEmpty, "the published key works")
            try await scenario.finish()
        }
    }
}
