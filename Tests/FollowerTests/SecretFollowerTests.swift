import AzureClient
import Follower
import Foundation
import KeyRotation
import Logging
import SecretFiles
import Testing

/// A follower delivers each new latest version once (file, hook, record, confirmation tag), keeps
/// the last good file through every failure, and never writes an older version.
struct SecretFollowerTests {
    /// A vault whose versions, tags and failures the test plays.
    actor PlayedVault: FollowedVault {
        struct Unreachable: Error, CustomStringConvertible {
            var description: String { "connection refused" }
        }
        private(set) var versions: [KeyVaultSecretVersion] = []
        private(set) var tagUpdates = 0
        var reachable = true
        var taggingRefused = false

        func add(_ id: String, value: String, created: TimeInterval, tags: [String: String] = [:]) {
            versions.append(
                KeyVaultSecretVersion(version: id, value: Secret(value), tags: tags, created: Date(timeIntervalSince1970: created))
            )
        }
        func set(reachable: Bool) { self.reachable = reachable }
        func set(taggingRefused: Bool) { self.taggingRefused = taggingRefused }
        func setTags(_ id: String, _ tags: [String: String]) {
            if let i = versions.firstIndex(where: { $0.version == id }) { versions[i].tags = tags }
        }
        func tags(_ id: String) -> [String: String] { versions.first { $0.version == id }?.tags ?? [:] }

        func latest(_ name: String) async throws -> KeyVaultSecretVersion? {
            guard reachable else { throw Unreachable() }
            return versions.last
        }
        func updateVersion(_ name: String, _ version: String, enabled: Bool?, tags: [String: String]?) async throws -> KeyVaultSecretVersion {
            guard reachable, !taggingRefused else { throw Unreachable() }
            let i = try #require(versions.firstIndex { $0.version == version })
            if let tags { versions[i].tags = tags }
            tagUpdates += 1
            return versions[i]
        }
    }

    /// A hook runner that records what hooks are told and fails while asked to.
    actor RecordingRunner: HookRunner {
        private(set) var runs: [(environment: [String: String], redacting: [String])] = []
        var fails = false
        func set(fails: Bool) { self.fails = fails }
        func run(_ hook: HookCommand, environment: [String: String], redacting: [String]) async -> HookResult {
            runs.append((environment, redacting))
            return HookResult(termination: .exited(fails ? 1 : 0))
        }
    }

    struct FixedClock: WallClock {
        func now() -> Date { Date(timeIntervalSince1970: 1_800_000_000) }
        func sleep(until deadline: Date) async throws { throw CancellationError() }
    }

    /// A secrets and a state directory, removed at the end.
    struct Directories {
        let secrets: String
        let state: String

        init() throws {
            let root = FileManager.default.temporaryDirectory.appendingPathComponent("follower-\(UUID().uuidString)").path
            secrets = root + "/secrets"
            state = root + "/state"
            try FileManager.default.createDirectory(atPath: secrets, withIntermediateDirectories: true)
        }

        func file(_ name: String) -> String? { try? String(contentsOfFile: secrets + "/" + name, encoding: .utf8) }
        func remove() { try? FileManager.default.removeItem(atPath: URL(fileURLWithPath: secrets).deletingLastPathComponent().path) }
    }

    static let connection = "endpoint=https://app.communication.azure.com/;accesskey=played-key"
    static let leaderTags = ["keyrotd-resource": "app", "keyrotd-key": "primary", "keyrotd-fingerprint": "sha256:aaaaaaaaaaaaaaaa", "team": "t"]

    static func configuration(format: SecretFormat? = nil, template: SecretTemplate? = nil) -> FollowConfiguration {
        FollowConfiguration(
            name: "web-1",
            credential: "reader",
            vault: URL(string: "https://kv.vault.azure.net")!,
            secret: "app",
            output: SecretOutput(file: "app.conn", format: format ?? .json, template: template, envName: "APP", mode: 0o640, group: nil),
            verbatim: format == nil && template == nil,
            onPublish: HookCommand(argv: ["/usr/bin/reload-app"], origin: "follower web-1")
        )
    }

    func follower(
        _ vault: PlayedVault,
        _ directories: Directories,
        runner: RecordingRunner = RecordingRunner(),
        configuration: FollowConfiguration = configuration()
    ) throws -> SecretFollower {
        try SecretFollower(
            configuration: configuration,
            vault: vault,
            directory: directories.secrets,
            runner: runner,
            store: try JSONStateStore(stateDirectory: directories.state, kind: "followers"),
            clock: FixedClock(),
            logger: Logger(label: "test")
        )
    }

    @Test func aNewVersionIsWrittenHookedRecordedAndConfirmedOnce() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        await vault.add("v1", value: Self.connection, created: 100, tags: Self.leaderTags)
        let runner = RecordingRunner()
        let follower = try follower(vault, directories, runner: runner)
        let status = await follower.poll()
        #expect(status.consecutiveFailures == 0 && status.lastError == nil)
        #expect(status.version == "v1" && status.fingerprint == "sha256:aaaaaaaaaaaaaaaa" && status.key == "primary" && status.confirmed == true)
        #expect(directories.file("app.conn") == Self.connection + "\n")
        let attributes = try FileManager.default.attributesOfItem(atPath: directories.secrets + "/app.conn")
        #expect((attributes[.posixPermissions] as? Int) == 0o640)
        let run = try #require(await runner.runs.first)
        #expect(run.environment["KEYROTD_FINGERPRINT"] == "sha256:aaaaaaaaaaaaaaaa" && run.environment["KEYROTD_VAULT_VERSION"] == "v1")
        #expect(run.environment["KEYROTD_FILE"] == directories.secrets + "/app.conn" && run.environment["KEYROTD_KEY"] == "primary")
        #expect(!run.environment.values.contains { $0.contains("played-key") }, "the hook is told names, never the value")
        #expect(run.redacting.contains(Self.connection), "the value is redacted from the hook's output")
        var expected = Self.leaderTags
        expected["keyrotd-confirmed-web-1"] = "sha256:aaaaaaaaaaaaaaaa"
        #expect(await vault.tags("v1") == expected, "the leader's and operator's tags are kept")

        await follower.poll()
        #expect(await runner.runs.count == 1, "delivered once")
        #expect(await vault.tagUpdates == 1, "confirmed once")

        // A restarted follower reads its record: nothing is delivered again.
        let restarted = try self.follower(vault, directories, runner: runner)
        #expect(await restarted.status.version == "v1")
        await restarted.poll()
        #expect(await runner.runs.count == 1)
    }

    @Test func aFailingHookLeavesTheVersionUndeliveredAndUnconfirmedUntilItSucceeds() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        await vault.add("v1", value: Self.connection, created: 100, tags: Self.leaderTags)
        let runner = RecordingRunner()
        await runner.set(fails: true)
        let follower = try follower(vault, directories, runner: runner)
        let failed = await follower.poll()
        #expect(failed.consecutiveFailures == 1 && failed.version == nil && failed.lastError?.contains("/usr/bin/reload-app") == true)
        #expect(await vault.tagUpdates == 0, "not confirmed before the hook succeeded")
        await runner.set(fails: false)
        let delivered = await follower.poll()
        #expect(delivered.consecutiveFailures == 0 && delivered.version == "v1" && delivered.confirmed == true)
        #expect(await runner.runs.count == 2)
    }

    @Test func aRefusedTagLeavesTheDeliveryStandingButUnconfirmed() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        await vault.add("v1", value: Self.connection, created: 100, tags: Self.leaderTags)
        await vault.set(taggingRefused: true)
        let runner = RecordingRunner()
        let follower = try follower(vault, directories, runner: runner)
        let refused = await follower.poll()
        #expect(refused.version == "v1" && refused.confirmed == false && refused.consecutiveFailures == 1)
        #expect(directories.file("app.conn") == Self.connection + "\n", "delivered all the same")
        await vault.set(taggingRefused: false)
        let confirmed = await follower.poll()
        #expect(confirmed.confirmed == true && confirmed.consecutiveFailures == 0)
        #expect(await runner.runs.count == 1, "the confirmation alone is repeated, not the delivery")
    }

    @Test func anUnreachableVaultKeepsTheFileAndANewVersionIsDeliveredAfter() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        await vault.add("v1", value: Self.connection, created: 100, tags: Self.leaderTags)
        let follower = try follower(vault, directories)
        await follower.poll()
        await vault.set(reachable: false)
        await vault.add("v2", value: Self.connection.replacing("played-key", with: "second-key"), created: 200)
        let failing = await follower.poll()
        #expect(failing.consecutiveFailures == 1 && failing.lastError == "connection refused" && failing.version == "v1")
        #expect(directories.file("app.conn") == Self.connection + "\n", "the last good value stays")
        #expect(await follower.poll().consecutiveFailures == 2)
        await vault.set(reachable: true)
        let recovered = await follower.poll()
        #expect(recovered.consecutiveFailures == 0 && recovered.version == "v2")
        #expect(directories.file("app.conn")?.contains("second-key") == true)
        // A version without keyrotd's tags is fingerprinted by its value.
        #expect(recovered.fingerprint == Secret(Self.connection.replacing("played-key", with: "second-key")).fingerprint.value)
    }

    /// A resource's own follower in a new group waits for the leader's first publish without an
    /// alarm; a `[[follow]]` whose secret is missing fails (its names may be wrong).
    @Test func aGroupsFollowerWaitsForTheFirstPublishWithoutFailing() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        var grouped = Self.configuration()
        grouped.confirmAs = "node-a"
        let waiting = await try follower(vault, directories, configuration: grouped).poll()
        #expect(waiting.consecutiveFailures == 0 && waiting.version == nil && waiting.lastError == nil)
        let missing = await try follower(vault, directories).poll()
        #expect(missing.consecutiveFailures == 1 && missing.lastError?.contains("does not exist") == true)
        await vault.add("v1", value: Self.connection, created: 100, tags: Self.leaderTags)
        #expect(await try follower(vault, directories, configuration: grouped).poll().version == "v1")
    }

    @Test func anOlderVersionIsNeverWritten() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        await vault.add("v2", value: Self.connection, created: 200, tags: Self.leaderTags)
        let follower = try follower(vault, directories)
        await follower.poll()
        await vault.add("v1", value: "endpoint=https://old/;accesskey=old-key", created: 100)
        let refused = await follower.poll()
        #expect(refused.consecutiveFailures == 1 && refused.version == "v2")
        #expect(refused.lastError?.contains("is older than the delivered v2") == true, "\(refused.lastError ?? "")")
        #expect(directories.file("app.conn") == Self.connection + "\n")
    }

    /// In a high-availability group each version carries its leadership's epoch: a version of a
    /// lower epoch than one delivered (a former leader that wrote after a newer one took over) is
    /// refused with the alarm, and the file keeps the newer leader's value.
    @Test func aVersionOfAnOlderLeadershipIsNeverDelivered() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        await vault.add("v1", value: Self.connection, created: 100, tags: Self.leaderTags.merging(["keyrotd-epoch": "3"]) { $1 })
        let follower = try follower(vault, directories)
        let delivered = await follower.poll()
        #expect(delivered.version == "v1" && delivered.consecutiveFailures == 0)
        await vault.add(
            "v2",
            value: "endpoint=https://app/;accesskey=stale-key",
            created: 200,
            tags: Self.leaderTags.merging(["keyrotd-epoch": "2"]) { $1 }
        )
        let refused = await follower.poll()
        #expect(refused.consecutiveFailures == 1 && refused.version == "v1")
        #expect(refused.lastError?.contains("written by the group's leadership 2, older than leadership 3") == true, "\(refused.lastError ?? "")")
        #expect(directories.file("app.conn") == Self.connection + "\n")
        let next = Self.connection.replacing("played-key", with: "next-key")
        await vault.add("v3", value: next, created: 300, tags: Self.leaderTags.merging(["keyrotd-epoch": "4"]) { $1 })
        #expect(await follower.poll().version == "v3")
        #expect(directories.file("app.conn") == next + "\n")
    }

    @Test func aLostConfirmationAndADeletedFileAreRepaired() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        await vault.add("v1", value: Self.connection, created: 100, tags: Self.leaderTags)
        let runner = RecordingRunner()
        let follower = try follower(vault, directories, runner: runner)
        await follower.poll()
        // Another follower tagged at the same instant from the tags it had read: this one's is gone.
        var raced = Self.leaderTags
        raced["keyrotd-confirmed-web-2"] = "sha256:aaaaaaaaaaaaaaaa"
        await vault.setTags("v1", raced)
        try FileManager.default.removeItem(atPath: directories.secrets + "/app.conn")
        let repaired = await follower.poll()
        #expect(repaired.consecutiveFailures == 0)
        #expect(directories.file("app.conn") == Self.connection + "\n")
        #expect(await runner.runs.count == 2, "a rewritten file is delivered to the hook again")
        raced["keyrotd-confirmed-web-1"] = "sha256:aaaaaaaaaaaaaaaa"
        #expect(await vault.tags("v1") == raced, "both followers' confirmations")
    }

    @Test func theLeadersJSONIsLaidOutAnewAndAnythingElseIsRefused() async throws {
        let directories = try Directories()
        defer { directories.remove() }
        let vault = PlayedVault()
        let json =
            #"{"endpoint": "https://app.communication.azure.com/", "key": "played-key", "connectionString": "\#(Self.connection)", "keyName": "", "keyType": "secondary"}"#
        await vault.add("v1", value: json, created: 100, tags: Self.leaderTags)
        let env = try follower(vault, directories, configuration: Self.configuration(format: .env))
        #expect(await env.poll().consecutiveFailures == 0)
        #expect(directories.file("app.conn") == "APP=\(Self.connection)\n")

        let templated = try follower(
            vault,
            directories,
            configuration: Self.configuration(template: try SecretTemplate(parsing: "key={{key}} type={{keyType}} at={{rotatedAt}}\n"))
        )
        #expect(await templated.poll().consecutiveFailures == 0)
        #expect(directories.file("app.conn") == "key=played-key type=secondary at=1970-01-01T00:01:40Z\n", "rotatedAt: when the leader wrote it")
        let written = try FileManager.default.attributesOfItem(atPath: directories.secrets + "/app.conn")[.modificationDate] as? Date
        #expect(await templated.poll().consecutiveFailures == 0)
        #expect(
            try FileManager.default.attributesOfItem(atPath: directories.secrets + "/app.conn")[.modificationDate] as? Date == written,
            "not rewritten"
        )

        await vault.add("v2", value: Self.connection, created: 200)
        let refused = await templated.poll()
        #expect(refused.lastError?.contains("is not keyrotd's json layout") == true)
        #expect(refused.lastError?.contains("played-key") == false, "the value is never in a message")
        #expect(directories.file("app.conn")?.hasPrefix("key=played-key type=secondary") == true)
    }
}
