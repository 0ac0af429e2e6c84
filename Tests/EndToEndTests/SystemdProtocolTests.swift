import Foundation
import Glibc
import KeyRotation
import Systemd
import Testing

extension EndToEnd {
    /// keyrotd against real systemd pieces without PID 1: an sd_notify listener like the service
    /// manager's, and a standalone systemd-journald.
    @Suite(.serialized)
    struct SystemdProtocolTests {
        @Test func speaksTheNotifyProtocolThroughStartReloadWatchdogAndStop() async throws {
            let scenario = try await Scenario("notify", emulatorArguments: [], resources: 3, every: "2s", grace: "300ms", configured: 2)
            let listener = try NotifyListener(directory: scenario.directory)
            defer { listener.stop() }
            let daemon = try ChildProcess(
                Binaries.keyrotd,
                ["run", "--config", scenario.configPath, "--log", "stderr"],
                directory: scenario.directory,
                label: "daemon",
                environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"]
            )
            let ready = try await listener.waitFor("READY=1")
            #expect(listener.received[ready].1.contains("STATUS=2 resources"))
            _ = try await listener.waitFor("WATCHDOG=1", after: ready)
            let summary = try await listener.waitFor("STATUS=2 resources; next: acs-00", after: ready)
            #expect(listener.received[summary].1.contains("no failures"))

            // A valid change: one resource more is not possible (the emulator has 2), so change grace.
            let original = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            try original.replacingOccurrences(of: "grace = \"300ms\"", with: "grace = \"400ms\"").write(
                toFile: scenario.configPath,
                atomically: true,
                encoding: .utf8
            )
            let before = listener.received.count
            daemon.signal(SIGHUP)
            let reloading = try await listener.waitFor("RELOADING=1", after: before)
            #expect(listener.received[reloading].1.contains("MONOTONIC_USEC="))
            let reloaded = try await listener.waitFor("READY=1", after: reloading)
            #expect(listener.received[reloaded].1.contains("STATUS=configuration reloaded"))

            // A resource added by reload starts at once.
            let third = scenario.configuration.daemon.secretsDirectory + "/acs-003.conn"
            #expect(!FileManager.default.fileExists(atPath: third))
            _ = try scenario.emulator.writeConfiguration(every: "2s", grace: "400ms")
            daemon.signal(SIGHUP)
            _ = try await listener.waitFor("STATUS=configuration reloaded; 3 resources", after: reloaded + 1)
            try await scenario.wait(for: .seconds(20), "the added resource to be published") { FileManager.default.fileExists(atPath: third) }

            // A broken file: the old configuration keeps running and STATUS says why.
            try (original + "\n[daemon]\nbroken = true\n").write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            daemon.signal(SIGHUP)
            let rejected = try await listener.waitFor("reload rejected", after: reloaded + 1)
            #expect(listener.received[rejected].1.contains("reload rejected, previous configuration kept"))
            let rotationsBefore = scenario.totalRotations()
            try await scenario.wait(for: .seconds(20), "rotations after a rejected reload") { scenario.totalRotations() > rotationsBefore }
            let later = listener.received.dropFirst(rejected + 1).filter { $0.1.contains("STATUS=") }
            #expect(
                !later.isEmpty && later.allSatisfy { $0.1.contains("STATUS=reload rejected") },
                "the rejection stays in STATUS= through later updates"
            )

            // After rotations, watchdog pings and reloads, Dispatch has still not started its worker pool,
            // whose monitor would wake the daemon every second for good. Dispatch names a worker after
            // its root queue, and the kernel keeps the last 15 characters: "oot.default-qos" for the
            // pool, "…qos.overcommit" for serial queues' threads (AsyncHTTPClient makes TLS contexts on
            // one), which are fine.
            let threads = try daemon.threadNames()
            #expect(threads.contains("keyrotd-jobs"), "jobs run on keyrotd's own threads: \(threads)")
            #expect(!threads.contains { $0.hasSuffix("-qos") }, "a Dispatch pool worker: \(threads)")

            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            _ = try await listener.waitFor("STOPPING=1")
            #expect(daemon.stderr.contains("configuration rejected"))
            for (_, message) in listener.received {
                #expect(!message.contains("accesskey="))
            }
            try await scenario.finish()
        }

        @Test func aFatalStartErrorIsReportedWithERRNO() async throws {
            let directory = try testDirectory("errno")
            let listener = try NotifyListener(directory: directory)
            defer { listener.stop() }
            try "[daemon]\nconcurrency = 0\n".write(toFile: directory + "/keyrotd.toml", atomically: true, encoding: .utf8)
            let daemon = try ChildProcess(
                Binaries.keyrotd,
                ["run", "--config", directory + "/keyrotd.toml"],
                directory: directory,
                label: "daemon",
                environment: ["NOTIFY_SOCKET": listener.path]
            )
            #expect(await daemon.wait() == 1)
            let index = try await listener.waitFor("ERRNO=22")
            #expect(listener.received[index].1.contains("STATUS=configuration rejected"))
            #expect(daemon.stderr.contains("keyrotd.toml:2: error: daemon.concurrency"))
        }

        @Test func aHungSchedulerStopsTheWatchdogPings() async throws {
            let scenario = try await Scenario("watchdog", emulatorArguments: [], resources: 1, every: "1h", grace: "1s")
            let listener = try NotifyListener(directory: scenario.directory)
            defer { listener.stop() }
            let daemon = try ChildProcess(
                Binaries.keyrotd,
                ["run", "--config", scenario.configPath, "--log", "stderr"],
                directory: scenario.directory,
                label: "daemon",
                environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "600000", "KEYROTD_TEST_FAULT_HANG_SCHEDULER_AFTER": "2"]
            )
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

extension EndToEnd.SystemdProtocolTests {
    /// A standalone systemd-journald (no PID 1 needed): started by the test when none runs, killed by PID after.
    struct Journald {
        let child: ChildProcess?

        static func start(directory: String) async throws -> Journald {
            if FileManager.default.fileExists(atPath: "/run/systemd/journal/socket"),
                FileManager.default.fileExists(atPath: "/run/systemd/journal/io.systemd.journal")
            {
                return Journald(child: nil)  // the machine's own journald
            }
            let child = try ChildProcess("/lib/systemd/systemd-journald", [], directory: directory, label: "journald")
            let deadline = ContinuousClock.now + .seconds(10)
            while !FileManager.default.fileExists(atPath: "/run/systemd/journal/socket") {
                guard ContinuousClock.now < deadline, child.isRunning else { throw TestFailure("journald did not start: \(child.stderr)") }
                try await Task.sleep(for: .milliseconds(50))
            }
            return Journald(child: child)
        }

        /// Entries of process `pid`, as `journalctl -o json` prints them.
        func entries(pid: Int32, directory: String, extra: [String] = []) async throws -> [[String: Any]] {
            let (status, out, errors) = try await ChildProcess.run(
                "/usr/bin/journalctl",
                ["--no-pager", "-o", "json", "_PID=\(pid)"] + extra,
                directory: directory,
                label: "journalctl"
            )
            guard status == 0 else { throw TestFailure("journalctl failed: \(errors)") }
            return out.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
        }

        func stop() async {
            if let child {
                child.signal(SIGTERM)
                await child.wait(timeout: .seconds(10))
                try? FileManager.default.removeItem(atPath: "/run/systemd/journal")
            }
        }
    }

    @Test(.enabled(if: getuid() == 0, "journald needs root")) func logsStructuredEntriesWithMessageIDsToJournald() async throws {
        let scenario = try await Scenario("journal", emulatorArguments: [], resources: 2, every: "1s", grace: "200ms")
        let journald = try await Journald.start(directory: scenario.directory)
        let daemon = try ChildProcess(
            Binaries.keyrotd,
            ["run", "--config", scenario.configPath, "--log", "journal"],
            directory: scenario.directory,
            label: "daemon"
        )
        try await scenario.wait(for: .seconds(30), "two rotations") { scenario.totalRotations() >= 2 }
        daemon.signal(SIGTERM)
        #expect(await daemon.wait(timeout: .seconds(20)) == 0)
        try await Task.sleep(for: .milliseconds(500))  // journald writes asynchronously

        let completed = try await journald.entries(
            pid: daemon.pid,
            directory: scenario.directory,
            extra: ["MESSAGE_ID=8e1fafb21f46457f894665d36f831258"]
        )
        #expect(completed.count >= 2)
        let first = try #require(completed.first)
        #expect(first["SYSLOG_IDENTIFIER"] as? String == "keyrotd")
        #expect(first["PRIORITY"] as? String == "5")
        #expect((first["KEYROTD_RESOURCE"] as? String)?.hasPrefix("acs-00") == true)
        #expect(first["KEYROTD_KEY"] as? String == "primary")
        #expect(first["KEYROTD_EVENT"] as? String == "rotation-completed")
        #expect((first["CODE_FILE"] as? String)?.hasSuffix("ResourceRotator.swift") == true)
        #expect(first["CODE_LINE"] != nil && first["CODE_FUNC"] != nil)

        let all = try await journald.entries(pid: daemon.pid, directory: scenario.directory)
        let ids = Set(all.compactMap { $0["MESSAGE_ID"] as? String })
        for event in [JournalEvent.daemonStarted, .rotationStarted, .keyRegenerated, .secretPublished, .daemonStopping] {
            #expect(ids.contains(event.messageID), "no \(event.rawValue) entry")
        }
        #expect(all.contains { $0["ARM_REQUEST_ID"] != nil || $0["KEYROTD_FINGERPRINT"] != nil })
        // Nothing secret in any field of any entry.
        let dump = try JSONSerialization.data(withJSONObject: all)
        try dump.write(to: URL(fileURLWithPath: scenario.directory + "/journal.json"))
        await journald.stop()
        try await scenario.finish()
    }
}
