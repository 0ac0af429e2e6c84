import Foundation
import Glibc
import KeyRotation
import Systemd
import Testing

extension EndToEnd {
    /// keyrotd installed as a systemd service and run by a real systemd (PID 1 in systemd-nspawn):
    /// Type=notify, STATUS=, journal fields and catalog, reload, watchdog kill, clean stop.
    struct SystemdServiceTests {
        static var canBoot: Bool { getuid() == 0 && FileManager.default.isExecutableFile(atPath: "/usr/bin/systemd-nspawn") }

        func serviceConfiguration(_ info: EmulatorInfoView, every: String, grace: String = "500ms") -> String {
            var text = """
                [daemon]
                secrets_dir = "/var/lib/keyrotd/secrets"
                state_dir = "/var/lib/keyrotd/state"
                tls_ca_file = "/etc/keyrotd/emulator-ca.pem"
                retry_initial = "1s"
                retry_max = "5s"
                on_publish = ["/bin/sh", "-c", "echo delivered $KEYROTD_RESOURCE $KEYROTD_KEY as $(id -un)"]

                [credential.emulator]
                tenant = "\(info.tenant)"
                client_id = "\(info.clientID)"
                client_secret_file = "${CREDENTIALS_DIRECTORY}/keyrotd-client-secret"
                authority = "\(info.baseURL)"
                arm_endpoint = "\(info.baseURL)"
                scope = "\(info.baseURL)/.default"

                [defaults]
                every = "\(every)"
                grace = "\(grace)"
                mode = "0640"

                """
            for id in info.resources { text += "\n[[resource]]\nid = \"\(id)\"\n" }
            return text
        }

        struct EmulatorInfoView {
            var tenant: String
            var clientID: String
            var baseURL: String
            var resources: [String]
        }

        @Test(.enabled(if: canBoot, "needs root and systemd-nspawn"))
        func runsAsAHardenedNotifyServiceUnderRealSystemd() async throws {
            let scenario = try await Scenario("nspawn", emulatorArguments: [], resources: 2, every: "3s", grace: "500ms")
            let stage = scenario.directory + "/stage"
            let install = try ChildProcess(
                EndToEnd.repositoryRoot + "/scripts/install.sh",
                [],
                directory: scenario.directory,
                label: "install",
                environment: ["DESTDIR": stage, "PREFIX": "/usr/local", "KEYROTD_BIN": Binaries.keyrotd]
            )
            #expect(await install.wait() == 0, "\(install.stderr)")
            let etc = stage + "/etc/keyrotd"
            let info = scenario.emulator.info
            let view = EmulatorInfoView(tenant: info.tenant, clientID: info.clientID, baseURL: info.baseURL, resources: info.resources)
            try serviceConfiguration(view, every: "3s").write(toFile: etc + "/keyrotd.toml", atomically: true, encoding: .utf8)
            _ = FileManager.default.createFile(
                atPath: etc + "/client-secret",
                contents: Data(info.clientSecret.utf8),
                attributes: [.posixPermissions: 0o600]
            )
            try FileManager.default.copyItem(atPath: info.caFile!, toPath: etc + "/emulator-ca.pem")

            let container = try await Container.boot(
                name: "keyrotd-e2e",
                binds: [
                    "/opt/swift", "/etc/ssl", "\(stage)/usr/local:/usr/local", "\(etc):/etc/keyrotd",
                    "\(etc)/client-secret:/etc/credstore/keyrotd-client-secret",
                ],
                directory: scenario.directory
            )
            let secrets = try await container.use(keepingJournalIn: scenario.directory) { container in
                var secrets: Set<String> = []
                try await exercise(container, etc: etc, view: view, secrets: &secrets)
                return secrets
            }
            try await scenario.finish(extraSecrets: secrets, excluding: [stage, scenario.directory + "/nsenter-secret"])
        }

        private func exercise(_ c: Container, etc: String, view: EmulatorInfoView, secrets: inout Set<String>) async throws {
            let (started, _, startErrors) = try await c.run(["systemctl", "start", "keyrotd.service"])
            #expect(started == 0, "\(startErrors)")
            #expect(try await c.property("Type") == "notify")
            #expect(try await c.property("WatchdogUSec") == "30s")
            try await eventually("STATUS= names the resources") { try await c.property("StatusText").hasPrefix("2 resources; next: acs-00") }

            let completed = JournalEvent.rotationCompleted.messageID
            try await eventually("two rotations in the journal") {
                try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(completed)"]).count >= 2
            }
            // A normal start logs nothing an operator must learn to ignore: no warning, and none of
            // libdispatch's notices about thread priorities.
            let warnings = try await c.journal(["-u", "keyrotd", "-p", "warning"]).map { $0["MESSAGE"] as? String ?? "" }
            #expect(warnings.isEmpty, "\(warnings)")
            let (_, startLog, _) = try await c.run(["journalctl", "-u", "keyrotd", "--no-pager", "-o", "cat"])
            #expect(!startLog.contains("thread priority"), "\(startLog)")
            let entry = try #require(try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(completed)"]).first)
            #expect(entry["_SYSTEMD_UNIT"] as? String == "keyrotd.service")
            #expect((entry["KEYROTD_RESOURCE"] as? String)?.hasPrefix("acs-00") == true)
            #expect(entry["KEYROTD_KEY"] as? String == "primary")
            #expect(entry["KEYROTD_STEP"] as? String == "idle")
            #expect(entry["PRIORITY"] as? String == "5")
            _ = try await c.run(["journalctl", "--update-catalog"])
            let (_, explained, _) = try await c.run(["journalctl", "-u", "keyrotd", "-x", "--no-pager", "MESSAGE_ID=\(completed)"])
            #expect(explained.contains("Subject: Key rotation of acs-00") && explained.contains("What to do: Nothing."))
            let delivered = try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(JournalEvent.hookSucceeded.messageID)"])
            #expect(
                delivered.contains { ($0["KEYROTD_HOOK_OUTPUT"] as? String)?.hasPrefix("delivered acs-00") == true },
                "the on_publish hook runs inside the hardened unit"
            )
            #expect(try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(JournalEvent.hookFailed.messageID)"]).isEmpty)

            let (_, live, _) = try await c.run(["/usr/local/bin/keyrotd", "status", "--config", "/etc/keyrotd/keyrotd.toml"])
            #expect(live.contains("running (pid") && live.contains("live"), "status reaches the daemon through /run/keyrotd/control.sock: \(live)")
            let (_, socketMode, _) = try await c.run(["stat", "-c", "%a %U", "/run/keyrotd", "/run/keyrotd/control.sock"])
            #expect(socketMode.split(separator: "\n") == ["700 keyrotd", "600 keyrotd"])
            let (_, mode, _) = try await c.run(["stat", "-c", "%a %U %G", "/var/lib/keyrotd/secrets/acs-001.conn"])
            #expect(mode.trimmingCharacters(in: .whitespacesAndNewlines) == "640 keyrotd keyrotd-readers")
            let (_, stateMode, _) = try await c.run(["stat", "-c", "%a", "/var/lib/keyrotd/state"])
            #expect(stateMode.trimmingCharacters(in: .whitespacesAndNewlines) == "700")
            for name in ["acs-001", "acs-002"] {
                let (_, text, _) = try await ChildProcess.run(
                    "/usr/bin/nsenter",
                    ["-t", String(c.pid1), "-a", "cat", "/var/lib/keyrotd/secrets/\(name).conn"],
                    directory: c.directory,
                    label: "nsenter-secret"
                )
                if let key = text.split(separator: "=").last { secrets.insert(String(key).trimmingCharacters(in: .whitespacesAndNewlines)) }
            }

            // A consumer unit reloaded after each publish by the shipped template, keyrotd unprivileged.
            _ = try await c.run([
                "sh", "-c",
                "printf '[Service]\\nExecStart=/bin/sleep infinity\\nExecReload=/bin/sh -c \"sha256sum /var/lib/keyrotd/secrets/acs-001.conn >> /run/app-reloads\"\\n' > /run/systemd/system/app.service",
            ])
            _ = try await c.run(["systemctl", "daemon-reload"])
            #expect(try await c.run(["systemctl", "start", "app.service"]).0 == 0)
            let (enabled, _, enableErrors) = try await c.run(["systemctl", "enable", "--now", "keyrotd-reload@app.service.path"])
            #expect(enabled == 0, "\(enableErrors)")
            try await eventually("app.service reloaded after a publish") {
                let (_, reloads, _) = try await c.run(["cat", "/run/app-reloads"])
                return Set(reloads.split(separator: "\n").map { $0.prefix(64) }).count >= 2
            }
            let (_, reloadLog, _) = try await c.run(["journalctl", "-u", "app.service", "--no-pager"])
            #expect(reloadLog.contains("Reloaded") || reloadLog.contains("Reloading"), "\(reloadLog)")
            _ = try await c.run(["systemctl", "disable", "--now", "keyrotd-reload@app.service.path"])

            // Reload with a changed configuration. systemd 252's `systemctl reload` returns when
            // ExecReload's kill exits, which may be before keyrotd took the signal: wait for its READY=1.
            let good = try String(contentsOfFile: etc + "/keyrotd.toml", encoding: .utf8)
            try serviceConfiguration(view, every: "4s").write(toFile: etc + "/keyrotd.toml", atomically: true, encoding: .utf8)
            #expect(try await c.run(["systemctl", "reload", "keyrotd"]).0 == 0)
            try await eventually("the reload to finish") { try await c.property("StatusText") != "reloading configuration" }
            // "configuration reloaded; …" until the next change of the summary replaces it.
            let reloadedStatus = try await c.property("StatusText")
            #expect(reloadedStatus.hasPrefix("configuration reloaded; 2 resources") || reloadedStatus.hasPrefix("2 resources"), "\(reloadedStatus)")
            #expect(try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(JournalEvent.configReloaded.messageID)"]).count == 1)

            // Reload with a broken one: the old configuration keeps running.
            try (good + "\n[daemon]\nbroken = 1\n").write(toFile: etc + "/keyrotd.toml", atomically: true, encoding: .utf8)
            #expect(try await c.run(["systemctl", "reload", "keyrotd"]).0 == 0)
            try await eventually("the rejection in STATUS=") {
                try await c.property("StatusText").hasPrefix("reload rejected, previous configuration kept")
            }

            #expect(try await c.property("ActiveState") == "active")
            let before = try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(completed)"]).count
            try await eventually("rotations after the rejected reload") {
                try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(completed)"]).count > before
            }
            #expect(try await c.property("StatusText").hasPrefix("reload rejected"), "the rejection stays in STATUS= after rotations")
            try good.write(toFile: etc + "/keyrotd.toml", atomically: true, encoding: .utf8)

            // A hung scheduler (test fault switch) is killed by systemd's watchdog.
            _ = try await c.run(["mkdir", "-p", "/run/systemd/system/keyrotd.service.d"])
            _ = try await c.run([
                "sh", "-c",
                "printf '[Service]\\nWatchdogSec=2s\\nEnvironment=KEYROTD_TEST_FAULT_HANG_SCHEDULER_AFTER=2\\n' > /run/systemd/system/keyrotd.service.d/fault.conf",
            ])
            _ = try await c.run(["systemctl", "daemon-reload"])
            _ = try await c.run(["systemctl", "restart", "keyrotd"])
            try await eventually("the watchdog to kill the hung daemon", timeout: .seconds(30)) {
                try await c.run(["journalctl", "-u", "keyrotd", "--no-pager"]).1.contains("Watchdog timeout")
            }
            _ = try await c.run(["rm", "/run/systemd/system/keyrotd.service.d/fault.conf"])
            _ = try await c.run(["systemctl", "daemon-reload"])
            _ = try await c.run(["systemctl", "restart", "keyrotd"])
            try await eventually("the service to be healthy again") { try await c.property("StatusText").hasPrefix("2 resources") }

            // Stop: STOPPING=1, exit 0.
            #expect(try await c.run(["systemctl", "stop", "keyrotd"]).0 == 0)
            #expect(try await c.property("Result") == "success")
            #expect(try await c.run(["journalctl", "-u", "keyrotd", "--no-pager", "-n", "5"]).1.contains("Deactivated successfully"))
        }

        private func eventually(_ what: String, timeout: Duration = .seconds(30), _ condition: () async throws -> Bool) async throws {
            let deadline = ContinuousClock.now + timeout
            while ContinuousClock.now < deadline {
                if (try? await condition()) == true { return }
                try await Task.sleep(for: .milliseconds(200))
            }
            throw TestFailure("timed out waiting for \(what)")
        }
    }
}
