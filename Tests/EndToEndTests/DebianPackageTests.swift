import Foundation
import Glibc
import KeyRotation
import SecretFiles
import Systemd
import Testing

extension EndToEnd {
    /// `make deb`'s package on a fresh Debian 12 root (minbase, systemd, dbus, man-db; built by
    /// `scripts/debian-root.sh` once per build directory) booted in systemd-nspawn, so that nothing is
    /// borrowed from the build host's /usr and /etc: lintian, `apt install` resolving Depends as an
    /// operator's apt would, `check` and the service without the secret and with it, every resource
    /// rotating against the emulator on the host's loopback, an upgrade while a rotation is in its
    /// grace period (the rotation finishes, the consumer never fails), a missing trust store named,
    /// remove and purge.
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

        /// The line of `client_secret_file` in the shipped example.
        static func exampleSecretLine() throws -> Int {
            let example = try String(contentsOfFile: EndToEnd.repositoryRoot + "/config/keyrotd.toml", encoding: .utf8)
            return try #require(example.split(separator: "\n", omittingEmptySubsequences: false).firstIndex { $0.hasPrefix("client_secret_file") })
                + 1
        }

        /// One resource's line of `keyrotd status --json` inside the container.
        func status(_ c: Container, _ name: String) async throws -> [String: Any] {
            let (_, json, _) = try await c.run(["keyrotd", "status", "--json", "--config", "/etc/keyrotd/keyrotd.toml"])
            let report = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any], "\(json)")
            return try #require((report["resources"] as? [[String: Any]])?.first { $0["name"] as? String == name }, "\(json)")
        }

        static var canBootAFreshRoot: Bool {
            SystemdServiceTests.canBoot && FileManager.default.isExecutableFile(atPath: "/usr/bin/mmdebstrap")
        }

        @Test(.enabled(if: canBootAFreshRoot, "needs root, systemd-nspawn and mmdebstrap"))
        func installsOnAFreshDebianUpgradesDuringGraceRemovesAndPurges() async throws {
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

            let root = EndToEnd.repositoryRoot + "/.build/debian-root/bookworm"
            let (built, took, buildErrors) = try await ChildProcess.run(
                EndToEnd.repositoryRoot + "/scripts/debian-root.sh",
                [root],
                directory: scenario.directory,
                label: "debian-root",
                timeout: .seconds(900)
            )
            try #require(built == 0, "scripts/debian-root.sh: \(buildErrors)")
            print("fresh Debian root: \(took.isEmpty ? "reused" : "built in \(took.trimmingCharacters(in: .whitespacesAndNewlines)) s")")

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

            // The toolchain is bound only for the debug binary's Swift runtime (no package provides it);
            // the release package links it statically.
            let container = try await Container.boot(
                name: "keyrotd-deb",
                root: root,
                binds: ["/opt/swift", "\(packages):/pkg", "\(source):/src"],
                directory: scenario.directory
            )
            let secrets = try await container.use(keepingJournalIn: scenario.directory) {
                try await exercise($0, first: first, second: second, configuration: configuration, scenario: scenario)
            }
            try await scenario.finish(extraSecrets: secrets, excluding: [packages, source, scenario.directory + "/nsenter-secret"])
        }

        private func exercise(_ c: Container, first: String, second: String, configuration: String, scenario: Scenario) async throws -> Set<String> {
            let name = { (path: String) in "/pkg/" + URL(fileURLWithPath: path).lastPathComponent }
            let config = ["--config", "/etc/keyrotd/keyrotd.toml"]
            let resources = scenario.configuration.resources.map(\.name)
            var steps: [String] = []
            #expect(try await c.run(["test", "-e", "/etc/ssl/certs"]).0 != 0, "a minimal Debian has no trust store before the package")

            // Install with apt, which fetches what Depends names and the fresh root lacks.
            let apt = ["env", "DEBIAN_FRONTEND=noninteractive", "apt-get", "install", "-y", "--no-install-recommends"]
            let (installed, installOut, installErrors) = try await c.run(apt + [name(first)], timeout: .seconds(300))
            try #require(installed == 0, "apt-get install: \(installOut)\(installErrors)")
            let pulled = try #require(
                installOut.split(separator: "\n").first { $0.contains("newly installed") }.flatMap { Int($0.split(separator: " ")[2]) },
                "\(installOut)"
            )
            #expect(pulled >= 2, "keyrotd and at least ca-certificates: \(installOut)")
            #expect(try await c.run(["dpkg-query", "-W", "-f=${Status}", "ca-certificates"]).1 == "install ok installed")
            #expect(try await c.run(["test", "-s", "/etc/ssl/certs/ca-certificates.crt"]).0 == 0)
            #expect(installOut.contains("systemctl enable --now keyrotd"), "\(installOut)")
            steps.append("apt install (\(pulled) packages)")
            #expect(try await c.run(["id", "-nG", "keyrotd"]).1.trimmingCharacters(in: .whitespacesAndNewlines) == "keyrotd-readers")
            let (_, modes, _) = try await c.run(["stat", "-c", "%n %a %U %G", "/var/lib/keyrotd/secrets", "/var/lib/keyrotd/state"])
            #expect(
                modes.split(separator: "\n") == [
                    "/var/lib/keyrotd/secrets 750 keyrotd keyrotd-readers", "/var/lib/keyrotd/state 700 keyrotd keyrotd-readers",
                ]
            )
            #expect(try await c.property("ActiveState") == "inactive")
            #expect(try await c.property("FragmentPath").hasSuffix("/systemd/system/keyrotd.service"))
            #expect(try await c.run(["journalctl", "--list-catalog"]).1.contains(JournalEvent.rotationCompleted.messageID))

            // The shipped example, as the package installs it: check refuses the secret it names until
            // it is in the credential store, and then accepts the file without a warning.
            let (exampleRefused, _, exampleRefusal) = try await c.run(["keyrotd", "check"] + config)
            #expect(exampleRefused == 1, "\(exampleRefusal)")
            #expect(
                exampleRefusal.contains("/etc/keyrotd/keyrotd.toml:\(try Self.exampleSecretLine()): error: credential.main.client_secret_file: ")
                    && exampleRefusal.contains("put it in /etc/credstore/keyrotd-client-secret"),
                "\(exampleRefusal)"
            )
            _ = try await c.run(["install", "-D", "-m", "0600", "/src/client-secret", "/etc/credstore/keyrotd-client-secret"])
            let (exampleAccepted, exampleOut, exampleErrors) = try await c.run(["keyrotd", "check"] + config)
            #expect(exampleAccepted == 0 && exampleOut.contains(": OK, 5 resources") && exampleErrors.isEmpty, "\(exampleOut)\(exampleErrors)")
            _ = try await c.run(["rm", "/etc/credstore/keyrotd-client-secret"])
            steps.append("check of the shipped example refused without the secret, accepted with it")

            // Configured as an operator would, but the secret not yet in place: check refuses it, naming the path.
            _ = try await c.run([
                "sh", "-c",
                "install -m 0644 /src/keyrotd.toml /etc/keyrotd/keyrotd.toml && install -m 0644 /src/emulator-ca.pem /etc/keyrotd/emulator-ca.pem",
            ])
            let (refused, _, refusal) = try await c.run(["keyrotd", "check"] + config)
            #expect(refused == 1, "\(refusal)")
            let at = "/etc/keyrotd/keyrotd.toml:12: error: credential.emulator.client_secret_file: "
            #expect(
                refusal.contains(at + "keyrotd.service cannot load credential") && refusal.contains("put it in /etc/credstore/keyrotd-client-secret"),
                "\(refusal)"
            )
            steps.append("check without the secret refused")

            // Started without it, the service runs and says what it lacks, under its own MESSAGE_ID.
            let (enabled, _, enableErrors) = try await c.run(["systemctl", "enable", "--now", "keyrotd"])
            try #require(enabled == 0, "\(enableErrors)")
            #expect(try await c.property("ActiveState") == "active")
            let missing = try #require(try await c.journal(["-u", "keyrotd", "MESSAGE_ID=\(JournalEvent.credentialMissing.messageID)"]).first)
            #expect(missing["KEYROTD_FILE"] as? String == "/run/credentials/keyrotd.service/keyrotd-client-secret")
            #expect((missing["MESSAGE"] as? String)?.contains("put it in /etc/credstore/keyrotd-client-secret") == true, "\(missing)")
            steps.append("service without the secret: credential-missing")

            // With the secret in the credential store, check passes and a restart hands it over.
            _ = try await c.run(["install", "-D", "-m", "0600", "/src/client-secret", "/etc/credstore/keyrotd-client-secret"])
            let (accepted, acceptedOut, acceptedErrors) = try await c.run(["keyrotd", "check"] + config)
            #expect(accepted == 0 && acceptedOut.contains("OK, 2 resources"), "\(acceptedOut)\(acceptedErrors)")
            #expect(acceptedErrors.isEmpty, "no warning: \(acceptedErrors)")
            _ = try await c.run(["systemctl", "restart", "keyrotd"])
            let mainPID = try await c.property("MainPID")
            let files = scenario.configuration.resources.map {
                Consumer.File(path: "/proc/\(c.pid1)/root/var/lib/keyrotd/secrets/\($0.name).conn", id: $0.id)
            }
            try await scenario.wait(for: .seconds(30), "adoption") { files.allSatisfy { FileManager.default.fileExists(atPath: $0.path) } }
            let startWarnings = try await c.journal(["_PID=\(mainPID)", "-p", "warning"]).map { $0["MESSAGE"] as? String ?? "" }
            #expect(startWarnings.isEmpty, "a normal start warns of nothing: \(startWarnings)")
            let (_, table, tableErrors) = try await c.run(["keyrotd", "status"] + config)
            #expect(tableErrors.isEmpty, "status prints no validation warnings: \(table)\(tableErrors)")
            steps.append("check and start with the secret")
            // A consumer on each published file, through the container's root, all the time.
            let consumer = Consumer(files: files, caFile: scenario.emulator.info.caFile, grace: .seconds(12))
            let consuming = Task { await consumer.run() }
            defer { consuming.cancel() }

            // Every resource rotates: its first key is published and grace runs before the old one is regenerated.
            _ = try await c.run(["keyrotd", "rotate", "--all"] + config)
            try await scenario.wait(for: .seconds(30), "grace") {
                for resource in resources where (try await status(c, resource)["step"] as? String)?.hasPrefix("grace") != true { return false }
                return true
            }
            let pidBefore = try await c.property("MainPID")
            // What the previous release leaves in the state directory: the same records in format 1
            // (rewritten in place, so owner and mode stay the daemon's). Grace writes nothing until it ends.
            let stateDirectory = "/proc/\(c.pid1)/root/var/lib/keyrotd/state"
            let store = try JSONStateStore(stateDirectory: stateDirectory, create: false)
            for resource in resources {
                let record = try #require(try store.load(resource))
                try FormatOneRecord.bytes(record).write(to: URL(fileURLWithPath: "\(stateDirectory)/resources/\(resource).json"))
            }

            // The upgrade, inside grace: the new build restarts the service, which resumes the rotations.
            let (upgraded, upgradeOut, upgradeErrors) = try await c.run(apt + [name(second)], timeout: .seconds(300))
            try #require(upgraded == 0, "apt-get install (upgrade): \(upgradeOut)\(upgradeErrors)")
            #expect(try await c.run(["dpkg-query", "-W", "-f=${Version}", "keyrotd"]).1 == "0.1.0~test2")
            #expect(try await c.property("ActiveState") == "active")
            #expect(try await c.property("MainPID") != pidBefore, "the upgrade restarted keyrotd")
            #expect(
                (try await status(c, resources[0])["step"] as? String)?.hasPrefix("grace") == true,
                "the restart came while the rotation was in grace"
            )
            #expect(try await c.run(["cat", "/etc/keyrotd/keyrotd.toml"]).1 == configuration, "the configuration is the operator's, kept")
            try await scenario.wait(for: .seconds(60), "every rotation to finish after the upgrade") {
                for resource in resources {
                    let entry = try await status(c, resource)
                    if entry["rotations"] as? Int != 1 || entry["step"] as? String != "idle" { return false }
                }
                return true
            }
            for resource in resources {
                let written = try String(contentsOfFile: "\(stateDirectory)/resources/\(resource).json", encoding: .utf8)
                #expect(written.contains("\"formatVersion\":2"), "the format-1 record was read and written back in format 2")
            }
            steps.append("\(resources.count) resources rotated through an upgrade in grace from format-1 records")
            await consumer.stop()
            let violations = await consumer.violations
            #expect(violations.isEmpty, "\(violations)")
            #expect(await consumer.finalCheck().isEmpty)
            #expect(await consumer.accepted > 0)
            let seen = await consumer.seenSecrets
            await consumer.close()

            // Without a trust store, the error names it and the package that provides it.
            _ = try await c.run(["mv", "/etc/ssl/certs", "/etc/ssl/certs.away"])
            _ = try await c.run(["systemctl", "restart", "keyrotd"])
            _ = try await c.run(["keyrotd", "rotate", resources[0]] + config)
            try await scenario.wait(for: .seconds(30), "the trust store error") {
                (try await status(c, resources[0])["lastError"] as? String)?.contains("there is no system trust store") == true
            }
            let lastError = try await status(c, resources[0])["lastError"] as? String ?? ""
            #expect(lastError.contains("/etc/ssl/certs/ca-certificates.crt") && lastError.contains("ca-certificates package"), "\(lastError)")
            let (noRoots, _, noRootsErrors) = try await c.run(["keyrotd", "check"] + config)
            #expect(noRoots == 1 && noRootsErrors.contains("error: TLS: there is no system trust store"), "\(noRootsErrors)")
            _ = try await c.run(["mv", "/etc/ssl/certs.away", "/etc/ssl/certs"])
            steps.append("a missing trust store named")

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
            steps.append("remove and purge")
            print("fresh Debian package test: \(steps.joined(separator: "; "))")
            return seen
        }
    }
}
