import Foundation
import Glibc
import KeyRotation
import Testing

extension EndToEnd {
    /// keyrotd against real systemd pieces without PID 1: an sd_notify listener like the service
    /// manager's, and a standalone systemd-journald.
    @Suite(.serialized)
    struct SystemdProtocolTests {
        @Test func speaksTheNotifyProtocolThroughStartReloadWatchdogAndStop() async throws {
            let scenario = try await Scenario("notify", emulatorArguments: [], resources: 2, every: "2s", grace: "300ms")
            let listener = try NotifyListener(directory: scenario.directory)
            defer { listener.stop() }
            let daemon = try ChildProcess(
                Binaries.keyrotd, ["run", "--config", scenario.configPath, "--log", "stderr"], directory: scenario.directory, label: "daemon",
                environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"])
            let ready = try await listener.waitFor("READY=1")
            #expect(listener.received[ready].1.contains("STATUS=2 resources"))
            _ = try await listener.waitFor("WATCHDOG=1", after: ready)
            let summary = try await listener.waitFor("STATUS=2 resources; next: acs-00", after: ready)
            #expect(listener.received[summary].1.contains("no failures"))

            // A valid change: one resource more is not possible (the emulator has 2), so change grace.
            let original = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try original.replacingOccurrences(of: "grace = \"300ms\"", with: "grace = \"400ms\"").write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            let before = listener.received.count
            daemon.signal(SIGHUP)
            let reloading = try await listener.waitFor("RELOADING=1", after: before)
            #expect(listener.received[reloading].1.contains("MONOTONIC_USEC="))
            let reloaded = try await listener.waitFor("READY=1", after: reloading)
            #expect(listener.received[reloaded].1.contains("STATUS=configuration reloaded"))

            // A broken file: the old configuration keeps running and STATUS says why.
            try (original + "\n[daemon]\nbroken = true\n").write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            let rejected = try await listener.waitFor("READY=1", after: reloaded + 1)
            #expect(listener.received[rejected].1.contains("reload rejected, previous configuration kept"))
            let rotationsBefore = scenario.totalRotations()
            try await scenario.wait(for: .seconds(20), "rotations after a rejected reload") { scenario.totalRotations() > rotationsBefore }

            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            _ = try await listener.waitFor("STOPPING=1")
            #expect(daemon.stderr.contains("configuration rejected"))
            for (_, message) in listener.received {
                #expect(!message.contains("accesskey="))
            }
            try await scenario.finish()
        }

        @Test func aHungSchedulerStopsTheWatchdogPings() async throws {
            let scenario = try await Scenario("watchdog", emulatorArguments: [], resources: 1, every: "1h", grace: "1s")
            let listener = try NotifyListener(directory: scenario.directory)
            defer { listener.stop() }
            let daemon = try ChildProcess(
                Binaries.keyrotd, ["run", "--config", scenario.configPath, "--log", "stderr"], directory: scenario.directory, label: "daemon",
                environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "600000", "KEYROTD_TEST_FAULT_HANG_SCHEDULER_AFTER": "2"])
            _ = try await listener.waitFor("WATCHDOG=1")
            try await Task.sleep(for: .seconds(4))
            let pings = listener.received.filter { $0.1 == "WATCHDOG=1" }.map(\.0)
            let last = try #require(pings.last)
            // Pings stop within one watchdog period of the hang, and stay stopped.
            #expect(Date().timeIntervalSince(last) > 1.2, "pings went on after the scheduler hung")
            #expect(daemon.stderr.contains("withholding watchdog pings"))
            daemon.signal(SIGKILL)
            await daemon.wait()
            try await scenario.finish()
        }
    }
}
