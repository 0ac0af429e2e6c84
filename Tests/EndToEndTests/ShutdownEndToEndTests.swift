import Foundation
import Glibc
import KeyRotation
import Testing

/// SIGTERM while something keyrotd waits for never answers: the daemon stops at once (cancelling
/// the call), exits 0, and the next start resumes the recorded step without breaking the invariant.
extension EndToEnd {
    @Suite(.serialized)
    struct ShutdownEndToEndTests {
        /// A stop must end well within the unit's `TimeoutStopSec=30s` (the target is 2 s; this
        /// bound only keeps a loaded CI machine from failing a test that is not about speed).
        static let stopBound: Duration = .seconds(10)

        /// Stops `daemon` with SIGTERM and returns how long it took; expects exit 0 and the stop logged.
        func stop(_ daemon: ChildProcess, _ what: String) async -> Duration {
            let start = ContinuousClock.now
            daemon.signal(SIGTERM)
            let status = await daemon.wait(timeout: Self.stopBound)
            let took = ContinuousClock.now - start
            #expect(status == 0, "SIGTERM while \(what): exit \(status) after \(took)\n\(daemon.stderr.suffix(1500))")
            #expect(daemon.stderr.contains("keyrotd stopped"), "SIGTERM while \(what)")
            print("SIGTERM while \(what): stopped in \(took)")
            return took
        }

        /// Runs the consumer and the daemon, makes `what` hang once rotations are under way, stops the
        /// daemon in the hang, lifts it, and restarts: the rotations go on and no consumer ever fails.
        func stopInTheMiddle(
            _ scenario: Scenario,
            _ what: String,
            hang: () async throws -> Void,
            isHanging: () async throws -> Bool,
            lift: () async throws -> Void,
            environment: [String: String] = [:]
        ) async throws {
            let consumerTask = Task { await scenario.consumer.run() }
            defer { consumerTask.cancel() }
            let daemon = try scenario.startDaemon(environment: environment)
            try await scenario.wait(for: .seconds(60), "a first rotation") { scenario.totalRotations() >= 1 }
            try await hang()
            try await scenario.wait(for: .seconds(60), "\(what) to hang") { try await isHanging() }
            _ = await stop(daemon, what)
            try await lift()
            let before = scenario.totalRotations()
            let restarted = try scenario.startDaemon(label: "restarted", environment: environment)
            try await scenario.wait(for: .seconds(90), "rotations after the restart") { scenario.totalRotations() >= before + 2 }
            _ = await stop(restarted, "rotating normally")
            await scenario.consumer.stop()
            #expect(await scenario.consumer.violations == [], "\(what)")
            #expect(await scenario.consumer.finalCheck().isEmpty, "\(what)")
        }

        /// ARM, or Entra ID with tokens shorter-lived than keyrotd's refresh margin (so that every ARM
        /// call asks it first), stops answering in the middle of rotations.
        @Test(arguments: [("ARM hangs", "arm", [String]()), ("Entra ID hangs", "token", ["--token-lifetime", "20s"])])
        func stopsAtOnceWhileAServiceHangs(what: String, point: String, emulatorArguments: [String]) async throws {
            let scenario = try await Scenario(
                "stop-\(point)",
                emulatorArguments: ["--no-throttle"] + emulatorArguments,
                resources: 2,
                every: "1s",
                grace: "300ms",
                requestTimeout: "60s"
            )
            try await stopInTheMiddle(
                scenario,
                what,
                hang: { try await scenario.emulator.control("/_emulator/hang?at=\(point)") },
                isHanging: { try await scenario.emulator.stats()["hung"] ?? 0 > 0 },
                lift: { try await scenario.emulator.control("/_emulator/hang") }
            )
            try await scenario.finish()
        }

        @Test func stopsAtOnceWhileAHookHangs() async throws {
            let scenario = try await Scenario("stop-hook", emulatorArguments: ["--no-throttle"], resources: 1, every: "1s", grace: "300ms")
            let hookPath = scenario.directory + "/hook.sh"
            // While the flag file exists the hook hangs, after saying so.
            try """
            #!/bin/sh
            if [ -e "$1/hang" ]; then touch "$1/hanging"; sleep 600; fi
            exit 0

            """.write(toFile: hookPath, atomically: true, encoding: .utf8)
            chmod(hookPath, 0o755)
            let config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try (config + "on_publish = [\"\(hookPath)\", \"\(scenario.directory)\"]\nhook_timeout = \"10m\"\n")
                .write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            let flag = scenario.directory + "/hang"
            try await stopInTheMiddle(
                scenario,
                "a hook hangs",
                hang: { _ = FileManager.default.createFile(atPath: flag, contents: nil) },
                isHanging: { FileManager.default.fileExists(atPath: scenario.directory + "/hanging") },
                lift: { try FileManager.default.removeItem(atPath: flag) }
            )
            try await scenario.finish()
        }

        @Test func stopsAtOnceWhileTheProxyHangs() async throws {
            let scenario = try await Scenario(
                "stop-proxy",
                emulatorArguments: ["--no-throttle", "--proxy-port", "0"],
                resources: 1,
                every: "1s",
                grace: "300ms",
                requestTimeout: "60s"
            )
            let info = scenario.emulator.info
            let proxied = try #require(info.proxiedBaseURL)
            let proxy = try #require(info.proxyURL)
            // ARM and Entra ID under a name only the proxy resolves: every call goes through it.
            let config = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try config.replacingOccurrences(of: "\"\(info.baseURL)", with: "\"\(proxied)").write(
                toFile: scenario.configPath,
                atomically: true,
                encoding: .utf8
            )
            // Existing tunnels stay open, so the proxy hangs from the start: the daemon is stopped while adopting.
            try await scenario.emulator.control("/_emulator/hang?at=proxy")
            let daemon = try scenario.startDaemon(environment: ["HTTPS_PROXY": proxy])
            try await scenario.wait(for: .seconds(30), "the proxy to hang") { try await scenario.emulator.stats()["hung"] ?? 0 > 0 }
            _ = await stop(daemon, "the proxy hangs")
            #expect(try scenario.records()["acs-001"]?.step == .adopting)
            try await scenario.emulator.control("/_emulator/hang")
            let consumerTask = Task { await scenario.consumer.run() }
            defer { consumerTask.cancel() }
            let restarted = try scenario.startDaemon(label: "restarted", environment: ["HTTPS_PROXY": proxy])
            try await scenario.wait(for: .seconds(90), "rotations through the proxy") { scenario.totalRotations() >= 2 }
            _ = await stop(restarted, "rotating through the proxy")
            await scenario.consumer.stop()
            #expect(await scenario.consumer.violations == [])
            #expect(try await scenario.emulator.stats()["proxyTunnels"] ?? 0 >= 1)
            try await scenario.finish()
        }
    }
}
