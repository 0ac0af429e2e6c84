import AzureClient
import FoundationEssentials
import Glibc
import KeyRotation
import Logging
import SecretFiles
import SystemPackage

/// One `[[follow]]`: polls a Key Vault secret and writes its latest version to a local file with
/// the guarantees of a published file (durable atomic replace, mode, group, layout, hooks with
/// their timeout), then confirms the version with its tag for the leader's `confirm_followers`.
///
/// A version counts as delivered, and is recorded, only once the file is durable and the hooks
/// succeeded; a crash or a failing hook in between makes the next poll deliver it again. A version
/// older than the recorded one is never written. When the vault cannot be reached the file keeps
/// the last good value and the failure shows in status and the journal.
public actor SecretFollower {
    /// The follower's configuration.
    public let configuration: FollowConfiguration
    private let vault: any FollowedVault
    private let directory: String
    private let group: gid_t?
    private let writer: AtomicFileWriter
    private let hooks: [HookCommand]
    private let runner: any HookRunner
    private let store: JSONStateStore
    private let clock: any WallClock
    private let logger: Logger
    private var record: FollowerRecord?
    private var lastCheck: Date?
    private var confirmed: Bool?
    private var consecutiveFailures = 0
    private var lastError: String?

    /// Creates the follower of `configuration`, writing into `directory` and recording in `store`
    /// (made with kind `followers`); `daemonHook` (`[daemon] on_publish`) runs after the follower's own.
    ///
    /// - Throws: ``FileSystemError`` when the configured group does not exist or the record is unreadable.
    public init(
        configuration: FollowConfiguration,
        vault: any FollowedVault,
        directory: String,
        writer: AtomicFileWriter = AtomicFileWriter(),
        daemonHook: HookCommand? = nil,
        runner: any HookRunner,
        store: JSONStateStore,
        clock: any WallClock,
        logger: Logger
    ) throws {
        self.configuration = configuration
        self.vault = vault
        self.directory = directory
        self.group = try configuration.output.group.map(AtomicFileWriter.group(named:))
        self.writer = writer
        self.hooks = [configuration.onPublish, daemonHook].compactMap { $0 }
        self.runner = runner
        self.store = store
        self.clock = clock
        var logger = logger
        logger[field: .follower] = .string(configuration.name)
        logger[field: .vault] = .string(configuration.vault.absoluteString)
        logger[field: .secret] = .string(configuration.secret)
        self.logger = logger
        self.record = try store.load(FollowerRecord.self, configuration.name)
    }

    /// What `keyrotd status` shows.
    public var status: FollowerStatus {
        var status = Self.status(of: configuration, record: record)
        status.lastCheck = lastCheck
        status.confirmed = confirmed
        status.consecutiveFailures = consecutiveFailures
        status.lastError = lastError
        return status
    }

    /// The status of a follower that is not running, from its record in `store`.
    public static func status(of configuration: FollowConfiguration, store: JSONStateStore) throws -> FollowerStatus {
        status(of: configuration, record: try store.load(FollowerRecord.self, configuration.name))
    }

    private static func status(of configuration: FollowConfiguration, record: FollowerRecord?) -> FollowerStatus {
        FollowerStatus(
            name: configuration.name,
            source: configuration.source,
            file: configuration.output.file,
            version: record?.version,
            fingerprint: record?.fingerprint,
            key: record?.key,
            deliveredAt: record?.deliveredAt
        )
    }

    /// Polls until cancelled, every `interval` less up to 10 % (so followers of one secret do not
    /// tag in step), each poll through `gate` when there is one; `onPoll` hears each status.
    public func run(gate: PollGate? = nil, onPoll: @Sendable (FollowerStatus) async -> Void) async {
        while !Task.isCancelled {
            if let gate, await !gate.enter() { return }
            let status = await poll()
            await gate?.leave()
            await onPoll(status)
            let delay = configuration.interval.seconds * Double.random(in: 0.9...1.0)
            do {
                try await clock.sleep(until: clock.now().addingTimeInterval(delay))
            } catch {
                return
            }
        }
    }

    /// Asks the vault once: delivers a new latest version (or repairs the file), then confirms it.
    @discardableResult
    public func poll() async -> FollowerStatus {
        lastCheck = clock.now()
        do {
            try await follow()
            if consecutiveFailures > 0 {
                logger.log(.followRecovered, "following \(configuration.source) again")
            }
            consecutiveFailures = 0
            lastError = nil
        } catch  where Task.isCancelled {
            // A stop (or a reload) cut the poll short: not a failure.
        } catch FollowError.noSecret where configuration.deliversForGroup && record == nil {
            // A new group's leader has not published this resource yet: nothing to deliver, no alarm.
            logger.debug("\(configuration.source) does not exist yet; the group's leader creates it with its first publish")
        } catch {
            consecutiveFailures += 1
            let message = "\(error)"
            // Once per distinct problem: an unreachable vault must not write a line every interval.
            if message != lastError {
                logger.log(.followFailed, "cannot follow \(configuration.source): \(message)", [.failures: .stringConvertible(consecutiveFailures)])
            }
            lastError = message
        }
        return status
    }

    private func follow() async throws {
        let source = configuration.source
        let latest: KeyVaultSecretVersion
        do {
            guard let found = try await vault.latest(configuration.secret) else { throw FollowError.noSecret(source) }
            latest = found
        } catch let error as KeyVaultError where error.code == "Forbidden/SecretDisabled" {
            throw FollowError.latestDisabled(source)
        }
        guard let value = latest.value else { throw FollowError.noValue(source, version: latest.version) }
        if let record, record.version != latest.version, let created = latest.created, let delivered = record.created, created < delivered {
            throw FollowError.older(source, version: latest.version, created: created, delivered: record.version, deliveredCreated: delivered)
        }
        let epoch = latest.tags[KeyVaultOutput.Tag.epoch].flatMap { Int($0) }
        if let epoch, let highest = record?.epoch, epoch < highest {
            throw FollowError.staleEpoch(source, version: latest.version, epoch: epoch, highest: highest)
        }
        let fingerprint = latest.tags[KeyVaultOutput.Tag.fingerprint] ?? value.fingerprint.value
        let (bytes, secrets) = try render(value, version: latest)
        let file = configuration.output.file
        let onDisk = AtomicFileWriter.read(file, in: directory)
        if record?.version != latest.version || onDisk != bytes {
            let repair = record?.version == latest.version
            try writer.write(bytes, to: file, in: directory, mode: mode_t(configuration.output.mode), group: group)
            var metadata: Logger.Metadata = .fields([
                .vaultVersion: .string(latest.version), .fingerprint: .string(fingerprint),
            ])
            if let key = latest.tags[KeyVaultOutput.Tag.key] { metadata[.key] = .string(key) }
            try await runner.deliver(
                hooks,
                environment: environment(latest, fingerprint: fingerprint),
                redacting: secrets,
                metadata: metadata,
                logger: logger
            )
            let delivered = FollowerRecord(
                version: latest.version,
                created: latest.created,
                fingerprint: fingerprint,
                key: latest.tags[KeyVaultOutput.Tag.key],
                deliveredAt: clock.now(),
                epoch: [epoch, record?.epoch].compactMap { $0 }.max()
            )
            try store.save(delivered, for: configuration.name)
            record = delivered
            logger.log(
                repair ? .fileRepair : .followDelivered,
                repair
                    ? "\(file) did not hold version \(latest.version) of \(source); rewrote it"
                    : "version \(latest.version) of \(source) (\(fingerprint)) delivered to \(file)",
                metadata: metadata
            )
        }
        guard configuration.confirm else { return }
        let tag = configuration.confirmationTag
        confirmed = latest.tags[tag] == fingerprint
        if confirmed == true { return }
        // Key Vault replaces all tags: keep the leader's and the other followers' as just read. A
        // follower that tags at the same instant can still overwrite this one; the next poll sees
        // the tag missing and sets it again.
        var tags = latest.tags
        tags[tag] = fingerprint
        _ = try await vault.updateVersion(configuration.secret, latest.version, enabled: nil, tags: tags)
        confirmed = true
        logger.log(
            .followConfirmed,
            "confirmed version \(latest.version) of \(source) (\(fingerprint)) to the leader",
            [.vaultVersion: .string(latest.version), .fingerprint: .string(fingerprint)]
        )
    }

    /// The file's bytes, and every secret in them (for the hooks' output redaction). A template's
    /// `{{rotatedAt}}` is when the leader wrote the version, so one version always renders the same
    /// bytes (and an unchanged file is not mistaken for a damaged one).
    private func render(_ value: Secret, version: KeyVaultSecretVersion) throws -> (bytes: [UInt8], secrets: [String]) {
        let text = value.exposedValue
        guard !text.contains("\0") else { throw FollowError.notText(configuration.source, version: version.version) }
        if configuration.verbatim { return (Array((text + "\n").utf8), [text]) }
        guard let material = KeyMaterial(json: Array(text.utf8)) else {
            throw FollowError.notJSON(configuration.source, version: version.version)
        }
        let secrets = [text, material.key.exposedValue] + (material.connectionString.map { [$0.exposedValue] } ?? [])
        return (try configuration.output.render(material, now: version.created ?? Date(timeIntervalSince1970: 0)), secrets)
    }

    /// What the hook is told: names and the fingerprint, never the value.
    private func environment(_ version: KeyVaultSecretVersion, fingerprint: String) -> [String: String] {
        var environment = [
            "PATH": HookCommand.searchPath,
            "KEYROTD_FOLLOWER": configuration.name,
            "KEYROTD_FILE": FilePath(directory).appending(configuration.output.file).string,
            "KEYROTD_VAULT": configuration.vault.absoluteString,
            "KEYROTD_VAULT_SECRET": configuration.secret,
            "KEYROTD_VAULT_VERSION": version.version,
            "KEYROTD_FINGERPRINT": fingerprint,
        ]
        if let key = version.tags[KeyVaultOutput.Tag.key] { environment["KEYROTD_KEY"] = key }
        if let resource = version.tags[KeyVaultOutput.Tag.resource] { environment["KEYROTD_RESOURCE"] = resource }
        return environment
    }
}
