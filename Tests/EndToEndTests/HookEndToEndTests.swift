import Foundation
import Glibc
import KeyRotation
import Testing

/// `on_publish` hooks run by the real daemon against the emulator.
extension EndToEnd {
    @Suite(.serialized)
    struct HookEndToEndTests {
        /// The hook's runs, in order: adoption succeeds; the secondary's delivery fails twice,
        /// hangs past its timeout once, then succeeds while printing 5 MB; the primary's succeeds.
        static let hook = """
            #!/bin/sh
            dir="$1"
            n=$(( $(cat "$dir/runs" 2>/dev/null || echo 0) + 1 ))
            echo "$n" > "$dir/runs"
            echo "$n $KEYROTD_STEP $KEYROTD_KEY $KEYROTD_FINGERPRINT $KEYROTD_RESOURCE $(env | cut -d= -f1 | sort | tr '\\n' ,)" >> "$dir/hook.log"
            case "$n" in
            2|3) echo "consumer refused the reload ($n)"; exit 3 ;;
            4) echo "hanging"; sleep 600 ;;
            5) head -c 5000000 /dev/zero | tr '\\000' x ;;
            esac
            exit 0

            """

        @Test func failingHangingAndChattyHooksHoldTheRotationUntilDelivered() async throws {
            let scenario = try await Scenario("hooks", emulatorArguments: ["--no-throttle"], resources: 1, every: "3s", grace: "300ms")
            let hookPath = scenario.directory + "/hook.sh"
            try Self.hook.write(toFile: hookPath, atomically: true, encoding: .utf8)
            chmod(hookPath, 0o755)
            let config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try (config + "on_publish = [\"\(hookPath)\", \"\(scenario.directory)\"]\nhook_timeout = \"1s\"\n")
                .write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            let daemon = try await scenario.runWithConsumer(until: 1, within: .seconds(120))
            #expect(await scenario.consumer.violations == [])

            let runs = try String(contentsOfFile: scenario.directory + "/hook.log", encoding: .utf8).split(separator: "\n").map {
                $0.split(separator: " ")
            }
            #expect(runs.count >= 6)
            #expect(
                runs.prefix(6).map { "\($0[1]) \($0[2])" } == [
                    "adopting primary", "publishing secondary", "publishing secondary", "publishing secondary", "publishing secondary",
                    "publishing primary",
                ]
            )
            #expect(
                runs.allSatisfy {
                    $0[3].hasPrefix("sha256:") && $0[4] == "acs-001"
                        && $0[5] == "KEYROTD_FILE,KEYROTD_FINGERPRINT,KEYROTD_KEY,KEYROTD_RESOURCE,KEYROTD_STEP,PATH,PWD,"
                },
                "the five KEYROTD_ variables, PATH and the shell's own PWD: nothing of keyrotd's environment"
            )

            let log = daemon.stderr.split(separator: "\n")
            let failures = log.filter { $0.contains("keyrotd_event=hook-failed") }
            #expect(failures.count == 3)
            #expect(failures.filter { $0.contains("exited with status 3") && $0.contains("consumer refused the reload") }.count == 2)
            #expect(failures.filter { $0.contains("did not finish within its timeout") && $0.contains("hanging") }.count == 1)
            let delivered = try #require(log.firstIndex { $0.contains("keyrotd_event=hook-succeeded") && $0.contains("keyrotd_key=secondary") })
            #expect(log[delivered].contains("keyrotd_hook_output_discarded_bytes=\(5_000_000 - 4096)"))
            let primaryRegenerated = try #require(
                log.firstIndex { $0.contains("keyrotd_event=key-regenerated") && $0.contains("keyrotd_key=primary") }
            )
            #expect(primaryRegenerated > delivered, "the primary was regenerated only after the secondary was delivered")
            try await scenario.finish()
        }
    }
}
