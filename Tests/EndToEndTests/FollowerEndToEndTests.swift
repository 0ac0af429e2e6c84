import AzureClient
import Follower
import Foundation
import Glibc
import KeyRotation
import SecretFiles
import Testing

extension EndToEnd {
    /// A leader rotating into the emulator's vault and followers on "other hosts" (their own
    /// configuration, state and secrets, the vault's read-only principal) writing local files, with
    /// a consumer on every file and SIGKILLs of each at random instants.
    @Suite(.serialized)
    struct FollowerEndToEndTests {
        /// One follower host: its directory, configuration and file.
        struct FollowerHost {
            let name: String
            let directory: String
            let config: String
            var file: String { directory + "/secrets/app.conn" }
            var stateDirectory: String { directory + "/state" }
        }

        /// Adds a Key Vault output and `confirm_followers` to the scenario's one resource, and writes a
        /// follower host per name, polling every second as the vault's reader.
        static func setUp(_ scenario: Scenario, followers names: [String], confirmTimeout: String) throws -> (secret: String, hosts: [FollowerHost]) {
            let info = scenario.emulator.info
            let resource = try #require(scenario.configuration.resources.first)
            let secret = "\(resource.name)-conn"
            var leader = try String(contentsOfFile: scenario.configPath, encoding: .utf8)
            let quoted = names.map { "\"\($0)\"" }.joined(separator: ", ")
            leader = leader.replacingOccurrences(
                of: "id = \"\(resource.id.path)\"\n",
                with: "id = \"\(resource.id.path)\"\nconfirm_followers = [\(quoted)]\nconfirm_timeout = \"\(confirmTimeout)\"\n\n"
                    + "[[resource.outputs]]\nkey_vault = \"\(info.keyVaultURL)\"\nsecret = \"\(secret)\"\n"
            )
            try leader.write(toFile: scenario.configPath, atomically: true, encoding: .utf8)
            let readerSecret = scenario.directory + "/reader-secret"
            _ = FileManager.default.createFile(
                atPath: readerSecret,
                contents: Data(info.readerClientSecret.utf8),
                attributes: [.posixPermissions: 0o600]
            )
            let hosts = try names.map { name -> FollowerHost in
                let directory = scenario.directory + "/" + name
                try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
                let config = directory + "/keyrotd.toml"
                try """
                [daemon]
                secrets_dir = "\(directory)/secrets"
                state_dir = "\(directory)/state"
                runtime_dir = "\(directory)/run"
                tls_ca_file = "\(info.caFile ?? "")"

                [credential.reader]
                tenant = "\(info.tenant)"
                client_id = "\(info.readerClientID)"
                client_secret_file = "\(readerSecret)"
                authority = "\(info.baseURL)"
                arm_endpoint = "\(info.baseURL)"
                scope = "\(info.baseURL)/.default"

                [[follow]]
                name = "\(name)"
                key_vault = "\(info.keyVaultURL)"
                secret = "\(secret)"
                file = "app.conn"
                mode = "0600"
                interval = "1s"

                """.write(toFile: config, atomically: true, encoding: .utf8)
                return FollowerHost(name: name, directory: directory, config: config)
            }
            return (secret, hosts)
        }

        /// `keyrotd status --json` on a follower host: whether it is live, and its followers.
        static func status(_ host: FollowerHost, _ scenario: Scenario) async throws -> (live: Bool, followers: [[String: Any]]) {
            let (status, output, _) = try await ChildProcess.run(
                Binaries.keyrotd,
                ["status", "--json", "--config", host.config],
                directory: scenario.directory,
                label: "\(host.name)-status"
            )
            #expect(status == 0)
            let report = try #require(try JSONSerialization.jsonObject(with: Data(output.utf8)) as? [String: Any])
            return (report["live"] as? Bool == true, try #require(report["followers"] as? [[String: Any]]))
        }

        /// What a follower recorded as delivered.
        static func delivered(_ host: FollowerHost) throws -> FollowerRecord? {
            try JSONStateStore(stateDirectory: host.stateDirectory, kind: "followers", create: false).load(FollowerRecord.self, host.name)
        }

        @Test func twoFollowersConfirmEveryKeyThroughSIGKILLsAndNoConsumerEverFails() async throws {
            let scenario = try await Scenario("followers", emulatorArguments: ["--no-throttle"], resources: 1, every: "2s", grace: "1500ms")
            let (secret, hosts) = try Self.setUp(scenario, followers: ["web-1", "web-2"], confirmTimeout: "1h")
            let resource = try #require(scenario.configuration.resources.first)
            let consumers = hosts.map {
                Consumer(files: [.init(path: $0.file, id: resource.id)], caFile: scenario.emulator.info.caFile, grace: .milliseconds(1500))
            }
            let transport = AsyncHTTPClientTransport(extraCAFile: scenario.emulator.info.caFile)
            do {
                try await exercise(scenario, secret: secret, hosts: hosts, consumers: consumers, transport: transport)
            } catch {
                for consumer in consumers { await consumer.close() }
                try? await transport.shutdown()
                throw error
            }
            try await transport.shutdown()
        }

        private func exercise(
            _ scenario: Scenario,
            secret: String,
            hosts: [FollowerHost],
            consumers: [Consumer],
            transport: AsyncHTTPClientTransport
        ) async throws {
            let resource = try #require(scenario.configuration.resources.first)
            let consuming = ([scenario.consumer] + consumers).map { consumer in Task { await consumer.run() } }
            defer { for task in consuming { task.cancel() } }
            var daemons = [try scenario.startDaemon(label: "leader-0")]
            for host in hosts { daemons.append(try scenario.startDaemon(label: "\(host.name)-0", config: host.config)) }
            try await scenario.wait(for: .seconds(60), "the first rotation") { scenario.totalRotations() >= 1 }

            var generator = SystemRandomNumberGenerator()
            for i in 1...10 {
                try await Task.sleep(for: .milliseconds(Int.random(in: 300...2000, using: &generator)))
                let victim = Int.random(in: 0..<daemons.count, using: &generator)
                daemons[victim].signal(SIGKILL)
                await daemons[victim].wait()
                daemons[victim] =
                    victim == 0
                    ? try scenario.startDaemon(label: "leader-\(i)")
                    : try scenario.startDaemon(label: "\(hosts[victim - 1].name)-\(i)", config: hosts[victim - 1].config)
            }
            let before = scenario.totalRotations()
            let vault = try KeyVaultEndToEndTests.reader(scenario, transport: transport)
            // Two followers that tag at the same instant can lose one tag; the loser sets it again at
            // its next poll. So the end is when the latest version carries both.
            try await scenario.wait(for: .seconds(90), "two rotations after the last SIGKILL, every follower on the latest version") {
                guard scenario.totalRotations() >= before + 2, try scenario.records().values.allSatisfy({ $0.step == .idle }),
                    let latest = try await vault.latest(secret)
                else { return false }
                return try hosts.allSatisfy {
                    try Self.delivered($0)?.version == latest.version
                        && latest.tags[FollowConfiguration.confirmationTag($0.name)] == latest.tags[KeyVaultOutput.Tag.fingerprint]
                }
            }
            for daemon in daemons { daemon.signal(SIGTERM) }
            for daemon in daemons { #expect(await daemon.wait(timeout: .seconds(20)) == 0) }
            for consumer in [scenario.consumer] + consumers { await consumer.stop() }
            for (host, consumer) in zip(hosts, consumers) {
                let violations = await consumer.violations
                #expect(violations.isEmpty, "\(host.name): \(violations)")
                #expect(await consumer.accepted > 0, "\(host.name)'s consumer authenticated")
            }
            let leaderViolations = await scenario.consumer.violations
            #expect(leaderViolations.isEmpty, "the leader's file: \(leaderViolations)")

            let versions = try await vault.versions(secret)
            let fingerprints = versions.compactMap { $0.tags[KeyVaultOutput.Tag.fingerprint] }
            #expect(
                fingerprints.count == versions.count && Set(fingerprints).count == fingerprints.count,
                "one version per published key: \(fingerprints)"
            )
            #expect(versions.count >= 5, "adoption and two rotations at least: \(versions.count) versions")
            for version in versions {
                let fingerprint = version.tags[KeyVaultOutput.Tag.fingerprint]
                for host in hosts {
                    #expect(
                        version.tags[FollowConfiguration.confirmationTag(host.name)] == fingerprint,
                        "version \(version.version) is not confirmed by \(host.name): \(version.tags)"
                    )
                }
            }
            let enabled = versions.filter(\.enabled)
            #expect(enabled.count <= 2 && Set(enabled.compactMap { $0.tags[KeyVaultOutput.Tag.key] }).count == enabled.count)
            let published = try #require(try scenario.records()[resource.name]?.publishedKey)
            for host in hosts {
                let file = try #require(FileManager.default.contents(atPath: host.file))
                let material = try #require(Consumer.material(file, id: resource.id))
                #expect(material.fingerprint == published, "\(host.name)'s file holds the published key")
            }
            let seen = await consumers.asyncUnion { await $0.seenSecrets }
            for consumer in consumers { await consumer.close() }
            try await scenario.finish(
                extraSecrets: seen,
                excluding: Set(hosts.map { $0.directory + "/secrets" } + [scenario.directory + "/reader-secret"])
            )
        }

        @Test func aStoppedFollowerHoldsTheNextRegenerationAndRaisesTheAlarmUntilItCatchesUp() async throws {
            let scenario = try await Scenario("follower-stopped", emulatorArguments: ["--no-throttle"], resources: 1, every: "2s", grace: "1s")
            let (_, hosts) = try Self.setUp(scenario, followers: ["web-1"], confirmTimeout: "3s")
            let host = try #require(hosts.first)
            let metrics = host.directory + "/keyrotd.prom"
            let followerConfig = try String(contentsOfFile: host.config, encoding: .utf8)
            try followerConfig.replacingOccurrences(of: "[daemon]\n", with: "[daemon]\nmetrics_file = \"\(metrics)\"\n")
                .write(toFile: host.config, atomically: true, encoding: .utf8)
            let resource = try #require(scenario.configuration.resources.first)
            let leader = try scenario.startDaemon(label: "leader")
            var follower = try scenario.startDaemon(label: "web-1", config: host.config)
            try await scenario.wait(for: .seconds(60), "a rotation") { scenario.totalRotations() >= 1 }

            follower.signal(SIGTERM)
            #expect(await follower.wait(timeout: .seconds(20)) == 0)
            let held = try #require(try Self.delivered(host))
            let stopped = try await Self.status(host, scenario)
            #expect(stopped.live == false && stopped.followers.first?["version"] as? String == held.version, "status from the record")
            try await scenario.wait(for: .seconds(60), "the alarm") {
                let record = try #require(try scenario.records()[resource.name])
                return record.consecutiveFailures > 0 && record.lastError?.contains("follower web-1") == true
            }
            let alarmed = try #require(try scenario.records()[resource.name])
            #expect(alarmed.lastError?.contains("have not confirmed loading") == true, "\(alarmed.lastError ?? "")")
            // The key the stopped follower's file holds is still alive: nothing regenerated it.
            let file = try #require(FileManager.default.contents(atPath: host.file))
            let material = try #require(Consumer.material(file, id: resource.id))
            #expect(material.fingerprint.value == held.fingerprint)
            let transport = AsyncHTTPClientTransport(extraCAFile: scenario.emulator.info.caFile)
            let verdict = await DataPlaneClient(
                transport: transport,
                extraCAFile: scenario.emulator.info.caFile,
                sleep: { try await Task.sleep(for: $0) }
            ).check(material, id: resource.id)
            try await transport.shutdown()
            #expect(verdict == .accepted, "the stopped follower's key still works")
            let rotations = alarmed.rotations

            // Restarted as the service manager runs it: READY, the watchdog, and the follower in STATUS=.
            let listener = try NotifyListener(directory: scenario.directory)
            defer { listener.stop() }
            follower = try scenario.startDaemon(
                label: "web-1-again",
                config: host.config,
                environment: ["NOTIFY_SOCKET": listener.path, "WATCHDOG_USEC": "1000000"]
            )
            let ready = try await listener.waitFor("READY=1")
            _ = try await listener.waitFor("WATCHDOG=1", after: ready)
            _ = try await listener.waitFor("STATUS=1 follower current", after: ready)
            try await scenario.wait(for: .seconds(60), "the rotation going on") {
                let record = try #require(try scenario.records()[resource.name])
                return record.consecutiveFailures == 0 && record.rotations > rotations
            }
            let running = try await Self.status(host, scenario)
            #expect(running.live && running.followers.first?["name"] as? String == "web-1")
            #expect(running.followers.first?["consecutiveFailures"] as? Int == 0 && running.followers.first?["confirmed"] as? Bool == true)

            // The follower's figures in its metrics file, as Prometheus' own client parses them.
            let venv = try await OfficialSDKTests.virtualenv("python-prometheus", packages: ["prometheus-client==0.26.0"])
            try await scenario.wait(for: .seconds(90), "the follower in the metrics file") {
                try String(contentsOfFile: metrics, encoding: .utf8).contains(#"keyrotd_follower_confirmed{follower="web-1"} 1"#)
            }
            let families = try await MetricsEndToEndTests().parse(metrics, venv: venv, scenario: scenario)
            let names = Set(families.map(\.name))
            #expect(
                names.isSuperset(of: [
                    "keyrotd_follower_delivered_timestamp_seconds", "keyrotd_follower_last_check_timestamp_seconds", "keyrotd_follower_failures",
                    "keyrotd_follower_confirmed",
                ]),
                "\(names)"
            )
            #expect(families.first { $0.name == "keyrotd_follower_failures" }?.samples.first?.value == 0)

            // A reload hands the follower its new configuration: the next poll writes the new file.
            let config = try String(contentsOfFile: host.config, encoding: .utf8)
            try config.replacingOccurrences(of: "file = \"app.conn\"", with: "file = \"app-reloaded.conn\"")
                .write(toFile: host.config, atomically: true, encoding: .utf8)
            follower.signal(SIGHUP)
            try await scenario.wait(for: .seconds(30), "the reloaded follower's file") {
                FileManager.default.fileExists(atPath: host.directory + "/secrets/app-reloaded.conn")
            }
            leader.signal(SIGTERM)
            follower.signal(SIGTERM)
            #expect(await leader.wait(timeout: .seconds(20)) == 0)
            #expect(await follower.wait(timeout: .seconds(20)) == 0)
            let seen = Set([material.key.exposedValue] + [material.connectionString?.exposedValue].compactMap { $0 })
            try await scenario.finish(extraSecrets: seen, excluding: [host.directory + "/secrets", scenario.directory + "/reader-secret"])
        }
    }
}

extension Array {
    /// The union of what `transform` gives for each element, asked in turn.
    fileprivate func asyncUnion<T: Hashable>(_ transform: (Element) async -> Set<T>) async -> Set<T> {
        var result: Set<T> = []
        for element in self { result.formUnion(await transform(element)) }
        return result
    }
}
