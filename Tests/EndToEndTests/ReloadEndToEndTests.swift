import ConfigurationFile
import Foundation
import Glibc
import KeyRotation
import Testing

extension EndToEnd {
    /// A reload tells the truth: each `[daemon]` key a reload applies is changed by SIGHUP and its
    /// effect seen in the running daemon's log; each key only a restart applies is changed by SIGHUP
    /// and the reload refused, naming it. Which keys are which comes from the declarations, so a key
    /// declared later without a case here fails this test. (Resource, credential and follower keys
    /// are live by rebuilding what changed; `ConfigurationSchemaTests` shows each changes the model.)
    @Suite(.serialized)
    struct ReloadEndToEndTests {
        /// A value different from the scenario's for each key only a restart applies.
        static func restartValues(directory: String, configPath: String) -> [String: String] {
            [
                "secrets_dir": "\"\(directory)/secrets-moved\"",
                "state_dir": "\"\(directory)/state-moved\"",
                "runtime_dir": "\"\(directory)/run-moved\"",
                "concurrency": "3",
                // Readable is all a reload checks; the daemon would read it as PEM only at a start.
                "tls_ca_file": "\"\(configPath)\"",
                "request_timeout": "\"45s\"",
                "arm_write_burst": "50",
                "arm_writes_per_second": "2.5",
                "metrics_file": "\"\(directory)/keyrotd.prom\"",
                "application_watch_interval": "\"10m\"",
                "credentials_dir": "\"\(directory)/credentials-moved\"",
            ]
        }

        @Test func appliesEveryLiveDaemonKeyAndRefusesEveryRestartOnlyOne() async throws {
            let scenario = try await Scenario("reload", emulatorArguments: [], resources: 1, every: "2s", grace: "300ms")
            let original = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            let daemonKeys = ConfigurationSchema.keys.filter { $0.tables.first == .daemon }
            let restartOnly = daemonKeys.filter { $0.reload != .live }.map(\.name)
            let live = daemonKeys.filter { $0.reload == .live }.map(\.name)
            #expect(Set(live) == ["log_level", "on_publish", "hook_timeout", "retry_initial", "retry_max"], "a new live key needs its case here")
            let values = Self.restartValues(directory: scenario.directory, configPath: scenario.configPath)
            #expect(Set(restartOnly) == Set(values.keys), "a new restart-only key needs a value here")

            // The answer to a reload is read from STATUS=, which no log_level hides.
            let listener = try NotifyListener(directory: scenario.directory)
            defer { listener.stop() }
            let daemon = try scenario.startDaemon(environment: ["NOTIFY_SOCKET": listener.path])
            _ = try await listener.waitFor("READY=1")
            try await scenario.wait(for: .seconds(30), "the first rotation") { scenario.totalRotations() >= 1 }
            /// Writes the scenario's file with `settings` in [daemon], sends SIGHUP and returns the
            /// STATUS= that answers it.
            func reload(_ settings: [String: String]) async throws -> String {
                try Self.daemonTable(original, settings).write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
                let before = listener.received.count
                daemon.signal(SIGHUP)
                let reloading = try await listener.waitFor("RELOADING=1", after: before)
                // The index first: `received` is a snapshot, taken when it is read.
                let ready = try await listener.waitFor("READY=1", after: reloading)
                return listener.received[ready].1
            }
            func hookLines() -> Int { daemon.stderr.components(separatedBy: "on_publish hook /usr/bin/true succeeded").count - 1 }

            // on_publish: the next rotation runs the new daemon-wide hook (logged at info).
            let hook = ["on_publish": "[\"/usr/bin/true\"]"]
            #expect(try await reload(hook).contains("configuration reloaded"))
            try await scenario.wait(for: .seconds(30), "the reloaded on_publish hook to run") { hookLines() >= 1 }

            // log_level: at warning, rotations (and their hooks) go on without an info line.
            #expect(try await reload(hook.merging(["log_level": "\"warning\""]) { $1 }).contains("configuration reloaded"))
            let quietFrom = hookLines()
            let rotations = scenario.totalRotations()
            try await scenario.wait(for: .seconds(30), "two rotations at warning") { scenario.totalRotations() >= rotations + 2 }
            #expect(hookLines() == quietFrom, "info lines after log_level = \"warning\" was reloaded")
            // And back at info they come again.
            #expect(try await reload(hook).contains("configuration reloaded"))
            try await scenario.wait(for: .seconds(30), "info lines again at log_level = \"info\"") { hookLines() > quietFrom }

            // hook_timeout: a hook longer than the reloaded timeout is ended and the delivery fails.
            let slow = ["on_publish": "[\"/usr/bin/sleep\", \"5\"]", "hook_timeout": "\"300ms\""]
            #expect(try await reload(slow).contains("configuration reloaded"))
            try await scenario.wait(for: .seconds(30), "the hook to outlast the reloaded hook_timeout") {
                daemon.stderr.contains("/usr/bin/sleep did not finish within its timeout")
            }

            // retry_initial and retry_max: the new values are taken (the policy every rotator gets at a
            // reload); a reload that breaks their order is refused.
            #expect(try await reload(["retry_initial": "\"2s\"", "retry_max": "\"3s\""]).contains("configuration reloaded"))
            #expect(try await reload(["retry_initial": "\"5s\"", "retry_max": "\"3s\""]).contains("reload rejected"))
            #expect(daemon.stderr.contains("daemon.retry_max: must not be shorter than retry_initial"))

            // Every key only a restart applies: refused by name, the running configuration kept.
            for name in restartOnly {
                let value = try #require(values[name])
                let status = try await reload([name: value])
                #expect(
                    status.contains("reload refused: [daemon] \(name) changed") && status.contains("restart keyrotd to apply"),
                    "\(name): \(status)"
                )
            }
            let rotationsAfter = scenario.totalRotations()
            #expect(try await reload([:]).contains("configuration reloaded"))
            try await scenario.wait(for: .seconds(30), "rotations after the refusals") { scenario.totalRotations() > rotationsAfter }

            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0, "\(daemon.stderr.suffix(2000))")
            try await scenario.finish()
        }

        /// `text` with each of `settings` set in its `[daemon]` table: a line the table has is
        /// replaced, another added.
        static func daemonTable(_ text: String, _ settings: [String: String]) -> String {
            var lines = text.components(separatedBy: "\n")
            let start = lines.firstIndex(of: "[daemon]")! + 1
            for (name, value) in settings.sorted(by: { $0.key < $1.key }) {
                let end = lines[start...].firstIndex { $0.hasPrefix("[") } ?? lines.endIndex
                if let at = lines[start..<end].firstIndex(where: { $0.hasPrefix("\(name) =") }) {
                    lines[at] = "\(name) = \(value)"
                } else {
                    lines.insert("\(name) = \(value)", at: start)
                }
            }
            return lines.joined(separator: "\n")
        }
    }
}
