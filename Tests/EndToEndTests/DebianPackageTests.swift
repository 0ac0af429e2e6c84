import Foundation
import Glibc
import KeyRotation
import Systemd
import Testing

extension EndToEnd {
    /// `make deb`'s package in the nspawn container of the systemd tests: lintian, install, the
    /// service against the emulator, an upgrade to a second build while a rotation is in its grace
    /// period (the rotation finishes, the consumer never fails), remove and purge.
    struct DebianPackageTests {

        /// Builds the package of the test's (debug) keyrotd as `version` into `directory`.
        func package(_ version: String, into directory: String, scenario: Scenario) async throws -> String {
            let build = try ChildProcess(
                EndToEnd.repositoryRoot + "/scripts/make-deb.sh",
                [],
                directory: scenario.directory,
                label: "make-deb",
                environment: [
                    "KEYROTD_BIN": Binaries.keyrotd, "KEYROTD_DEB_VERSION": version, "KEYROTD_DEB_DIR": directory,
                    // Compression is for shipping; the test only installs it.
                    "KEYROTD_DEB_COMPRESSION": "gzip", "KEYROTD_DEB_LEVEL": "1",
                ]
            )
            try #require(await build.wait(timeout: .seconds(300)) == 0, "make-deb.sh: \(build.stderr)")
            return build.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        }

        /// One resource's line of `keyrotd status --json` inside the container.
        func status(_ c: Container, _ name: String) async throws -> [String: Any] {
            let (_, json, _) = try await c.run(["keyrotd", "status", "--json", "--config", "/etc/keyrotd/keyrotd.toml"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
            return try #require((report["resources"] as? [[String: Any]])?.first { $0["name"] as? String == name }, "\(json)")
        }

        @Test(.enabled(if: SystemdServiceTests.canBoot, "needs root and systemd-nspawn"))
        func installsUpgradesDuringGraceRemovesAndPurges() async throws {
            let scenario = try await Scenario("deb", emulatorArguments: [], resources: 2, every: "1h", grace: "12s")
            let packages = scenario.directory + "/packages"
            let first = try await package("0.1.0~test1", into: packages, scenario: scenario)
            let second = try await package("0.1.0~test2", into: packages, scenario: scenario)

            // The debug build's binary finds the Swift runtime in the toolchain through its RUNPATH, which
            // lintian rightly calls an error; the release package (static runtime) has none. Nothing else may be.
            let (_, lint, lintErrors) = try await ChildProcess.run(
                "/usr/bin/lintian",
                ["--suppress-tags", "custom-library-search-path", first],
                directory: scenario.directory,
                label: "lintian",
                timeout: .seconds(300)
            )
            #expect(!lint.split(separator: "\n").contains { $0.hasPrefix("E:") }, "lintian: \(lint)\(lintErrors)")

            let source = scenario.directory + "/etc-source"
            try FileManager.default.createDirectory(atPath: source, withIntermediateDirectories: true)
            let info = scenario.emulator.info
            let view = SystemdServiceTests.EmulatorInfoView(
                tenant: info.tenant,
                clientID: info.clientID,
                baseURL: info.baseURL,
                resources: info.resources
            )
            let configuration = SystemdServiceTests().serviceConfiguration(view, every: "1h", grace: "12s")
            try configuration.write(toFile: source + "/keyrotd.toml", atomically: true, encoding: .utf8)
            try info.clientSecret.write(toFile: source + "/client-secret", atomically: true, encoding: .utf8)
            try FileManager.default.copyItem(atPath: info.caFile!, toPath: source + "/emulator-ca.pem")

            let container = try await Container.boot(
                name: "keyrotd-deb",
                binds: ["/opt/swift", "/etc/ssl", "\(packages):/pkg", "\(source):/src"],
                writable: ["/usr", "/var"],
                directory: scenario.directory
            )
            let secrets = try await container.use(keepingJournalIn: scenario.directory) {
                try await exercise($0, first: first, second: second, configuration: configuration, scenario: scenario)
            }
            try await scenario.finish(extraSecrets: secrets, excluding: [packages, source, scenario.directory + "/nsenter-secret"])
        }

        private func exercise(_ c: Container, first: String, second: String, configuration: String, scenario: Scenario) async throws -> Set<String> {
            let name = { (path: String) in "/pkg/" + URL(fileURLWithPath: path).lastPathComponent }
            // The container's copies of /usr and /var, made a plain Debian system: its /etc is empty, so the
            // host's dpkg statoverrides name groups it lacks (ssl-cert) and dpkg refuses to run (they concern
            // other packages' files); and this host, a container image, forbids every service action in
            // maintainer scripts with policy-rc.d (exit 101), which keyrotd's scripts obey.
            _ = try await c.run(["sh", "-c", ": > /var/lib/dpkg/statoverride && rm -f /usr/sbin/policy-rc.d"])

            // Install: the user, the directories and the catalog exist; the service is not started unconfigured.
            let (installed, installOut, installErrors) = try await c.run(["dpkg", "-i", name(first)], timeout: .seconds(120))
            try #require(installed == 0, "dpkg -i: \(installOut)\(installErrors)")
            #expect(installOut.contains("systemctl enable --now keyrotd"), "\(installOut)")
            #expect(try await c.run(["id", "-nG", "keyrotd"]).1.trimmingCharacters(in: .whitespacesAndNewlines) == "keyrotd-readers")
            let (_, modes, _) = try await c.run(["stat", "-c", "%n %a %U %G", "/var/lib/keyrotd/secrets", "/var/lib/keyrotd/state"])
            #expect(
                modes.split(separator: "\n") == [
                    "/var/lib/keyrotd/secrets 750 keyrotd keyrotd-readers", "/var/lib/keyrotd/state 700 keyrotd keyrotd-readers",
                ]
            )
            #expect(try await c.property("ActiveState") == "inactive")
            #expect(try await c.property("FragmentPath").hasSuffix("/systemd/system/keyrotd.service"))
            #expect(try await c.run(["journalctl", "--list-catalog"]).1.contains(MessageID.byEvent["rotation-completed"]!))

            // Configure as an operator would, and start.
            _ = try await c.run([
                "sh", "-c",
                "install -m 0644 /src/keyrotd.toml /etc/keyrotd/keyrotd.toml && install -m 0600 /src/client-secret /etc/keyrotd/client-secret && install -m 0644 /src/emulator-ca.pem /etc/keyrotd/emulator-ca.pem",
            ])
            #expect(try await c.run(["keyrotd", "check", "--config", "/etc/keyrotd/keyrotd.toml"]).0 == 0)
            let (enabled, _, enableErrors) = try await c.run(["systemctl", "enable", "--now", "keyrotd"])
            try #require(enabled == 0, "\(enableErrors)")
            let files = scenario.configuration.resources.map {
                Consumer.File(path: "/proc/\(c.pid1)/root/var/lib/keyrotd/secrets/\($0.name).conn", id: $0.id)
            }
            try await scenario.wait(for: .seconds(30), "adoption") { files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) } }
            // A consumer on each published file, through the container's root, all the time.
            let consumer = Consumer(files: files, caFile: scenario.emulator.info.caFile, grace: .seconds(12))
            let consuming = Task { await consumer.run() }
            defer { consuming.cancel() }

            // A rotation: its first key is published and grace runs before the old one is regenerated.
            _ = try await c.run(["keyrotd", "rotate", "acs-001", "--config", "/etc/keyrotd/keyrotd.toml"])
            try await scenario.wait(for: .seconds(30), "grace") { (try await status(c, "acs-001")["step"] as? String)?.hasPrefix("grace") == true }
            let pidBefore = try await c.property("MainPID")

            // The upgrade, inside grace: the new build restarts the service, which resumes the rotation.
            let (upgraded, upgradeOut, upgradeErrors) = try await c.run(["dpkg", "-i", name(second)], timeout: .seconds(120))
            try #require(upgraded == 0, "dpkg -i (upgrade): \(upgradeOut)\(upgradeErrors)")
            #expect(try await c.run(["dpkg-query", "-W", "-f=${Version}", "keyrotd"]).1 == "0.1.0~test2")
            #expect(try await c.property("ActiveState") == "active")
            #expect(try await c.property("MainPID") != pidBefore, "the upgrade restarted keyrotd")
            #expect(
                (try await status(c, "acs-001")["step"] as? String)?.hasPrefix("grace") == true,
                "the restart came while the rotation was in grace"
            )
            #expect(try await c.run(["cat", "/etc/keyrotd/keyrotd.toml"]).1 == configuration, "the configuration is the operator's, kept")
            try await scenario.wait(for: .seconds(60), "the rotation to finish after the upgrade") {
                let acs = try await status(c, "acs-001")
                return acs["rotations"] as? Int == 1 && acs["step"] as? String == "idle"
            }
            await consumer.stop()
            let violations = await consumer.violations
            #expect(violations.isEmpty, "\(violations)")
            #expect(await consumer.finalCheck().isEmpty)
            #expect(await consumer.accepted > 0)
            let seen = await consumer.seenSecrets
            await consumer.close()

            // Remove: stopped, the program gone, the state and the operator's configuration kept.
            let (removed, removeOut, removeErrors) = try await c.run(["dpkg", "-r", "keyrotd"], timeout: .seconds(120))
            #expect(removed == 0, "dpkg -r: \(removeOut)\(removeErrors)")
            #expect(try await c.property("ActiveState") != "active")
            #expect(try await c.run(["test", "-e", "/usr/bin/keyrotd"]).0 != 0)
            #expect(try await c.run(["test", "-d", "/var/lib/keyrotd/state"]).0 == 0)
            #expect(try await c.run(["test", "-e", "/etc/keyrotd/keyrotd.toml"]).0 == 0)

            // Purge: says what it deletes, then deletes it.
            let (purged, purgeOut, purgeErrors) = try await c.run(["dpkg", "-P", "keyrotd"], timeout: .seconds(120))
            #expect(purged == 0, "dpkg -P: \(purgeOut)\(purgeErrors)")
            #expect(purgeOut.contains("removing /var/lib/keyrotd"), "\(purgeOut)")
            #expect(try await c.run(["test", "-e", "/var/lib/keyrotd"]).0 != 0)
            #expect(try await c.run(["test", "-e", "/etc/keyrotd/keyrotd.toml"]).0 != 0)
            return seen
        }
    }
}
