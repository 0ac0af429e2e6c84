import Foundation
import Glibc
import KeyRotation
import Testing

/// The CLI around the daemon: the single-instance lock, status, in-place rotation, dry runs, the demo.
extension EndToEnd {
    @Suite(.serialized)
    struct CommandLineEndToEndTests {
        @Test func theLockKeepsASecondKeyrotdOutRotateGoesThroughTheDaemonAndInPlaceWithoutOne() async throws {
            let scenario = try await Scenario("cli", emulatorArguments: [], resources: 2, every: "1h", grace: "1s")
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(30), "adoption") { try scenario.records().values.filter { $0.step == .idle }.count == 2 }

            let second = try scenario.startDaemon(label: "second")
            #expect(await second.wait() == 1)
            #expect(second.stderr.contains("holds"))
            // With the daemon running, rotate goes through its control socket and reports every step.
            let (rotateStatus, rotateOut, rotateErrors) = try await scenario.keyrotd(["rotate", "acs-001", "--wait"], label: "rotate-live")
            #expect(rotateStatus == 0, "\(rotateErrors)")
            for step in [
                "rotation started: regenerating the secondary key", "secondary key regenerated (sha256:", "secondary key published (sha256:",
                "primary key regenerated (sha256:", "primary key published (sha256:", "rotation completed; primary key published",
            ] {
                #expect(rotateOut.contains("acs-001: \(step)"), "\(rotateOut)")
            }
            #expect(rotateOut.contains("acs-001: rotated; primary key published (sha256:"))
            let (emergencyStatus, emergencyOut, _) = try await scenario.keyrotd(["rotate", "--emergency", "acs-002"], label: "emergency-live")
            #expect(emergencyStatus == 0)
            #expect(emergencyOut.contains("acs-002: EMERGENCY rotation requested by an operator"))
            #expect(emergencyOut.contains("acs-002: EMERGENCY: regenerating the primary key without waiting for grace"))
            #expect(emergencyOut.contains("acs-002: rotated; primary key published"))
            let (statusCode, statusText, _) = try await scenario.keyrotd(["status"], label: "status")
            #expect(statusCode == 0)
            #expect(statusText.contains("running (pid \(daemon.pid)), live"))
            #expect(statusText.contains("acs-001") && statusText.contains("idle") && statusText.contains("primary"))
            let (_, json, _) = try await scenario.keyrotd(["status", "--json"], label: "status-json")
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
            #expect(report["live"] as? Bool == true)
            #expect((report["resources"] as? [[String: Any]])?.first { $0["name"] as? String == "acs-001" }?["rotations"] as? Int == 1)

            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)

            let (planCode, plan, _) = try await scenario.keyrotd(["rotate", "--all", "--dry-run"], label: "dry-run")
            #expect(planCode == 0)
            #expect(plan.contains("regenerate the secondary key"))
            let before = try scenario.records()["acs-001"]!
            let (_, offline, _) = try await scenario.keyrotd(["status"], label: "status-offline")
            #expect(offline.contains("not running, from the state records"))
            let (code, out, errors) = try await scenario.keyrotd(["rotate", "acs-001", "--wait"], label: "rotate-wait")
            #expect(code == 0, "\(errors)")
            #expect(out.contains("acs-001: rotated; primary key published"))
            let after = try scenario.records()["acs-001"]!
            #expect(after.rotations == before.rotations + 1)
            #expect(after.publishedKey != before.publishedKey)
            #expect(try scenario.records()["acs-002"]!.rotations == 1, "the emergency one only")
            #expect(await scenario.consumer.finalCheck().isEmpty)
            let (unknownCode, _, unknownErrors) = try await scenario.keyrotd(["rotate", "nope"], label: "rotate-unknown")
            #expect(unknownCode == 1)
            #expect(unknownErrors.contains("not configured: nope"))
            try await scenario.finish()
        }

        /// The socket file is the daemon's alone (0600), and behind the file mode the daemon checks
        /// the caller's uid itself (SO_PEERCRED): made world-writable, it still refuses another user.
        @Test(.enabled(if: getuid() == 0, "needs root to run a client as another user"))
        func theControlSocketRefusesACallerOfAnotherUser() async throws {
            let scenario = try await Scenario("control-uid", emulatorArguments: [], resources: 1, every: "1h", grace: "1s")
            // A runtime directory another user can traverse, so only the socket's own checks stand in the way.
            let runtime = "/tmp/keyrotd-control-\(UUID().uuidString.prefix(8))"
            try FileManager.default.createDirectory(atPath: runtime, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o755])
            defer { try? FileManager.default.removeItem(atPath: runtime) }
            let config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "runtime_dir = \"\(scenario.directory)/run\"", with: "runtime_dir = \"\(runtime)\"")
                .write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            let daemon = try scenario.startDaemon()
            let socket = runtime + "/control.sock"
            try await scenario.wait(for: .seconds(30), "the control socket") { FileManager.default.fileExists(atPath: socket) }
            var info = stat()
            #expect(lstat(socket, &info) == 0 && info.st_mode & 0o777 == 0o600)
            let probe = #"""
                import socket, sys
                s = socket.socket(socket.AF_UNIX)
                try:
                    s.connect(sys.argv[1])
                except OSError as e:
                    print("connect failed:", e.strerror)
                    sys.exit(0)
                s.sendall(b'{"command":"status","names":[],"emergency":false,"wait":false}\n')
                print(s.makefile().readline())
                """#
            func asNobody() async throws -> String {
                try await ChildProcess.run(
                    "/usr/bin/setpriv",
                    ["--reuid=65534", "--regid=65534", "--clear-groups", "/usr/bin/python3", "-c", probe, socket],
                    directory: scenario.directory,
                    label: "nobody"
                ).1
            }
            #expect(try await asNobody().contains("connect failed: Permission denied"), "the file mode keeps others out")
            chmod(socket, 0o666)
            let refused = try await asNobody()
            #expect(refused.contains("refused: uid 65534 is neither keyrotd's user nor root"), "\(refused)")
            #expect(!refused.contains("resources"))
            let (_, own, _) = try await scenario.keyrotd(["status"], label: "status-own")
            #expect(own.contains("live"), "the daemon's own user is served")
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            #expect(!FileManager.default.fileExists(atPath: socket), "the socket is removed at shutdown")
            #expect(daemon.stderr.contains("refused a caller of another user"))
            try await scenario.finish()
        }

        /// A `rotate --wait` following a long wait does not hold up a stop: the daemon exits at once
        /// and the client says the rotation was interrupted.
        @Test func stoppingTheDaemonEndsAWaitingRotateClient() async throws {
            let scenario = try await Scenario("control-stop", emulatorArguments: [], resources: 1, every: "2h", grace: "30m")
            let daemon = try scenario.startDaemon()
            try await scenario.wait(for: .seconds(30), "adoption") { try scenario.records()["acs-001"]?.step == .idle }
            // Adopted keys must not be regenerated for `grace`: the rotation waits half an hour.
            let client = try ChildProcess(
                Binaries.keyrotd,
                ["rotate", "acs-001", "--wait", "--config", scenario.configPath],
                directory: scenario.directory,
                label: "waiting-client"
            )
            try await scenario.wait(for: .seconds(30), "the request to reach the daemon") { daemon.stderr.contains("control socket: rotate") }
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "the open connection does not hold up the stop")
            #expect(await client.wait(timeout: .seconds(20)) == 1)
            #expect(client.stdout.contains("acs-001: interrupted") || client.stderr.contains("closed the connection before the rotation finished"))
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
            #expect(emulator.child.terminationStatus == 0)
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
            // At least three types rotate (ACS, Storage, Service Bus and Cosmos DB by default).
            let rotated = Set(changes.filter { $0.contains("secondary key") }.compactMap { $0.split(separator: " ").dropFirst().first })
            #expect(rotated.count >= 3, "\(out)")
            // Nothing secret on the terminal: compare with every key the demo published.
            let files = try FileManager.default.contentsOfDirectory(atPath: directory + "/run/secrets")
            let secrets = files.compactMap { FileManager.default.contents(atPath: directory + "/run/secrets/" + $0) }
                .compactMap { KeyMaterial(json: Array($0)) }
                .flatMap { [$0.key.exposedValue] + ($0.connectionString.map { [$0.exposedValue] } ?? []) }
            #expect(secrets.count >= files.count)
            for secret in secrets {
                #expect(!out.contains(secret) && !errors.contains(secret))
            }
        }
    }
}
