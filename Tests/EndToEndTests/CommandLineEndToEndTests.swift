import Foundation
import Glibc
import KeyRotation
import Testing

/// The CLI around the daemon: the single-instance lock, status, in-place rotation, dry runs, the demo.
extension EndToEnd {
    @Suite(.serialized)
    struct CommandLineEndToEndTests {
        @Test func theLockKeepsASecondKeyrotdOutAndRotateWorksInPlaceWithoutADaemon() async throws {
            let scenario = try await Scenario("cli", emulatorArguments: [], resources: 2, every: "1h", grace: "1s")
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(30), "adoption") { try scenario.records().values.filter { $0.step == .idle }.count == 2 }

            let second = try scenario.startDaemon(label: "second")
            #expect(await second.wait() == 1)
            #expect(second.stderr.contains("holds"))
            let (rotateStatus, _, rotateErrors) = try await scenario.keyrotd(["rotate", "acs-001"], label: "rotate-held")
            #expect(rotateStatus == 1)
            #expect(rotateErrors.contains("another keyrotd (pid \(daemon.pid))"))
            let (statusCode, statusText, _) = try await scenario.keyrotd(["status"], label: "status")
            #expect(statusCode == 0)
            #expect(statusText.contains("running (pid \(daemon.pid))"))
            #expect(statusText.contains("acs-001") && statusText.contains("idle") && statusText.contains("primary"))

            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)

            let (planCode, plan, _) = try await scenario.keyrotd(["rotate", "--all", "--dry-run"], label: "dry-run")
            #expect(planCode == 0)
            #expect(plan.contains("regenerate the secondary key"))
            let before = try scenario.records()["acs-001"]!
            let (code, out, errors) = try await scenario.keyrotd(["rotate", "acs-001", "--wait"], label: "rotate-wait")
            #expect(code == 0, "\(errors)")
            #expect(out.contains("acs-001: rotated; primary key published"))
            let after = try scenario.records()["acs-001"]!
            #expect(after.rotations == before.rotations + 1)
            #expect(after.publishedKey != before.publishedKey)
            #expect(try scenario.records()["acs-002"]!.rotations == 0)
            #expect(await scenario.consumer.finalCheck().isEmpty)
            let (unknownCode, _, unknownErrors) = try await scenario.keyrotd(["rotate", "nope"], label: "rotate-unknown")
            #expect(unknownCode == 1)
            #expect(unknownErrors.contains("not configured: nope"))
            try await scenario.finish()
        }

        @Test func theEmulatorWritesAConfigurationThatKeyrotdAccepts() async throws {
            let directory = try testDirectory("write-config")
            let emulator = try await EmulatorProcess.start(
                ["--resources", "4", "--write-config", directory + "/generated/keyrotd.toml"],
                directory: directory
            )
            #expect(emulator.info.resources.count == 4)
            #expect(emulator.info.baseURL.hasPrefix("https://127.0.0.1:"))
            let (status, out, errors) = try await ChildProcess.run(
                Binaries.keyrotd,
                ["check", "--config", directory + "/generated/keyrotd.toml"],
                directory: directory,
                label: "check"
            )
            #expect(status == 0, "\(errors)")
            #expect(out.contains("OK, 4 resources"))
            var info = stat()
            stat(directory + "/generated/emulator-client-secret", &info)
            #expect(info.st_mode & 0o077 == 0)
            await emulator.stop()
            #expect(emulator.child.process.terminationStatus == 0)
        }

        @Test func theDemoShowsRotationsWithinAMinute() async throws {
            let directory = try testDirectory("demo")
            let started = ContinuousClock.now
            let (status, out, errors) = try await ChildProcess.run(
                Binaries.keyrotd,
                ["demo", "--directory", directory + "/run", "--duration", "45"],
                directory: directory,
                label: "demo",
                timeout: .seconds(90)
            )
            #expect(status == 0, "\(errors)")
            #expect(ContinuousClock.now - started < .seconds(60))
            let changes = out.split(separator: "\n").filter { $0.contains("consumer check: accepted") }
            #expect(changes.contains { $0.contains("secondary key") }, "\(out)")
            #expect(changes.contains { $0.contains("primary key") })
            #expect(!out.contains("DENIED"))
            // Nothing secret on the terminal: compare with every key the demo published.
            let secrets = try FileManager.default.contentsOfDirectory(atPath: directory + "/run/secrets").compactMap {
                try? String(contentsOfFile: directory + "/run/secrets/" + $0, encoding: .utf8)
            }
            #expect(!secrets.isEmpty)
            for secret in secrets {
                #expect(
                    !out.contains(secret.trimmingCharacters(in: .whitespacesAndNewlines))
                        && !errors.contains(secret.trimmingCharacters(in: .whitespacesAndNewlines))
                )
            }
        }
    }
}
