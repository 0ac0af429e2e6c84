import AzureEmulator
import Foundation
import Glibc
import KeyRotation
import Testing

/// ARM answers that are garbage or hostile, against the real daemon: nothing is published, the
/// error is reported without the value, and the rotation heals once the answers are sane again.
extension EndToEnd {
    @Suite(.serialized)
    struct HostileAnswerEndToEndTests {
        @Test func refusesEveryHostileKeyAnswerKeepsTheFileAndHealsWhenAnswersAreSaneAgain() async throws {
            let scenario = try await Scenario("hostile", emulatorArguments: ["--no-throttle"], resources: 1, every: "1h", grace: "1s")
            // The case: an env file read by systemd's EnvironmentFile=, where a newline is a second variable.
            let text = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try text.replacing("[defaults]\n", with: "[defaults]\nformat = \"env\"\n").write(
                toFile: scenario.configPath,
                atomically: true,
                encoding: .utf8
            )
            let file = scenario.configuration.daemon.secretsDirectory + "/acs-001.env"
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(30), "adoption") { FileManager.default.fileExists(atPath: file) }
            let adopted = try String(contentsOfFile: file, encoding: .utf8)
            #expect(adopted.hasPrefix("ACS_CONNECTION_STRING=endpoint=") && adopted.filter { $0 == "\n" }.count == 1)

            let kinds = HostileValue.allCases.map(\.rawValue)
            try await scenario.emulator.control("/_emulator/inject-values?kinds=" + kinds.joined(separator: ","))
            let (rotateStatus, rotateOutput, _) = try await scenario.keyrotd(["rotate", "acs-001"], label: "rotate")
            #expect(rotateStatus != 0, "a rotation on hostile answers cannot succeed: \(rotateOutput)")
            var fileChanged = false
            try await scenario.wait(for: .seconds(150), "every hostile kind to be served and refused") {
                fileChanged = fileChanged || (try? String(contentsOfFile: file, encoding: .utf8)) != adopted
                let served = try await scenario.emulator.stats()["injectedValues"] ?? 0
                return try served >= kinds.count && (scenario.records()["acs-001"]?.consecutiveFailures ?? 0) >= 3
            }
            #expect(!fileChanged, "a hostile answer reached the secret file")
            let (status, json, _) = try await scenario.keyrotd(["status", "--json"], label: "status")
            #expect(status == 0)
            #expect(json.contains("InvalidKeyValue") || json.contains("MalformedResponse"), "\(json)")
            #expect(json.contains("request id"))

            // The answers are sane again: the scheduled retry finishes the rotation.
            try await scenario.emulator.control("/_emulator/inject-values")
            try await scenario.wait(for: .seconds(90), "the rotation to heal") { scenario.totalRotations() >= 1 }
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)

            let healed = try String(contentsOfFile: file, encoding: .utf8)
            #expect(healed != adopted && healed.hasPrefix("ACS_CONNECTION_STRING=endpoint=") && healed.filter { $0 == "\n" }.count == 1)
            let log = daemon.stderr
            for expected in ["InvalidKeyValue", "MalformedResponse", "is not a string", "larger than", "request id", "nothing was published"] {
                #expect(log.contains(expected), "the journal lacks '\(expected)'")
            }
            for hostile in ["EVIL", "attacker.example", "Please sign in", "AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"] {
                #expect(!log.contains(hostile) && !json.contains(hostile), "a hostile value reached the log: \(hostile)")
            }
            let keys = [adopted, healed].map { String($0.split(separator: "accesskey=").last ?? "").trimmingCharacters(in: .whitespacesAndNewlines) }
            try await scenario.finish(extraSecrets: Set(keys))
        }
    }
}
