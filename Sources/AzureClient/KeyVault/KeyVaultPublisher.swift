import FoundationEssentials
import KeyRotation
import Logging

/// A ``SecretPublisher`` that, once the files are written (by `inner`), writes the key to each of the
/// resource's Key Vault secrets. The key counts as published only when every vault holds it, so a
/// failing vault fails the step, which is retried; the `full` strategy never regenerates the key
/// consumers are leaving before the vaults hold the new one.
///
/// Each publish adds a version exactly once: the latest version is read first, and one already
/// tagged with this resource and this key's fingerprint is the publish a crash or a failure
/// interrupted, so none is added. Then every version of this resource and key slot holding another
/// fingerprint is disabled: a published key is a regenerated one (or the same key again), so those
/// hold a key that no longer works, and nothing should read it from the vault.
///
/// In a high-availability group each version carries the leadership's epoch (`keyrotd-epoch`), and
/// there are no files (`inner` is `nil`): every node writes them from the first target through a
/// follower. What counts as published is then the key whose fingerprint the first target's latest
/// version of this resource carries.
/// A latest version of an older epoch is never taken as this publish done (a new version is
/// written), and one of a newer epoch means a newer leader exists: nothing is written.
public final class KeyVaultPublisher: SecretPublisher {
    /// One Key Vault output and the client of its vault.
    public struct Target: Sendable {
        /// The output.
        public var output: KeyVaultOutput
        /// The client of its vault, as the resource's credential.
        public var client: KeyVaultClient

        /// Pairs them.
        public init(output: KeyVaultOutput, client: KeyVaultClient) {
            self.output = output
            self.client = client
        }
    }

    private let inner: (any SecretPublisher)?
    private let targets: [Target]
    private let resource: String
    private let now: @Sendable () -> Date
    private let epoch: Int?
    private let logger: Logger

    /// Wraps `inner` for `resource`, writing to `targets` in order after it; `epoch` is the
    /// leadership's in a high-availability group, where `inner` is `nil`.
    public init(
        inner: (any SecretPublisher)?,
        targets: [Target],
        resource: String,
        epoch: Int? = nil,
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.inner = inner
        self.targets = targets
        self.resource = resource
        self.epoch = epoch
        self.now = now
        var logger = logger
        logger[field: .resource] = .string(resource)
        self.logger = logger
    }

    /// The files' digest; without files, the fingerprint the first target's latest version of
    /// this resource carries (`nil`, so the rotator publishes again, when the vault cannot be read,
    /// the version is another resource's or disabled, or a newer leadership wrote it).
    public func currentDigest() async -> KeyFingerprint? {
        if let inner { return await inner.currentDigest() }
        guard let target = targets.first, let latest = try? await target.client.latest(target.output.secret), latest.enabled,
            latest.tags[KeyVaultOutput.Tag.resource] == resource
        else { return nil }
        let latestEpoch = latest.tags[KeyVaultOutput.Tag.epoch].flatMap { Int($0) }
        if let epoch, let latestEpoch, latestEpoch > epoch { return nil }
        return latest.tags[KeyVaultOutput.Tag.fingerprint].flatMap(KeyFingerprint.init(stored:))
    }

    /// The files' copy, else the latest version of a target that holds it.
    public func recover(_ fingerprint: KeyFingerprint) async -> Secret? {
        if let found = await inner?.recover(fingerprint) { return found }
        for target in targets {
            guard let latest = try? await target.client.latest(target.output.secret), let value = latest.value else { continue }
            if let found = Secret.find(fingerprint, in: value.exposedValue) { return found }
        }
        return nil
    }

    public func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint {
        let digest = try await inner?.publish(material, step: step)
        for target in targets { try await publish(material, step: step, to: target) }
        return digest ?? material.fingerprint
    }

    private func publish(_ material: KeyMaterial, step: RotationStep, to target: Target) async throws {
        let output = target.output
        let fingerprint = material.fingerprint.value
        var metadata: Logger.Metadata = .fields([
            .vault: .string(output.vault.absoluteString), .secret: .string(output.secret),
            .key: .string(material.slot.rawValue), .fingerprint: .string(fingerprint), .step: .string(step.name),
        ])
        let latest: KeyVaultSecretVersion?
        do {
            latest = try await target.client.latest(output.secret)
        } catch let error as KeyVaultError where error.code == "Forbidden/SecretDisabled" {
            latest = nil  // someone disabled the latest version: a new one is due either way
        }
        let latestEpoch = latest?.tags[KeyVaultOutput.Tag.epoch].flatMap { Int($0) }
        if let epoch, let latestEpoch, let latest, latestEpoch > epoch {
            throw KeyVaultError(
                operation: "setSecret",
                vault: output.vault.absoluteString,
                secret: output.secret,
                status: 0,
                code: "EpochBehind",
                message:
                    "version \(latest.version) was written by the group's leadership \(latestEpoch), newer than this node's \(epoch): another node leads, so nothing is written",
                requestID: nil
            )
        }
        if let latest, latest.tags[KeyVaultOutput.Tag.resource] == resource, latest.tags[KeyVaultOutput.Tag.fingerprint] == fingerprint,
            epoch == nil || latestEpoch == epoch
        {
            metadata[.vaultVersion] = .string(latest.version)
            logger.debug("Key Vault already holds this key (an interrupted publish); no version added", metadata: metadata)
        } else {
            let written = now()
            var tags = output.tags
            tags[KeyVaultOutput.Tag.resource] = resource
            tags[KeyVaultOutput.Tag.key] = material.slot.rawValue
            tags[KeyVaultOutput.Tag.fingerprint] = fingerprint
            if let epoch { tags[KeyVaultOutput.Tag.epoch] = String(epoch) }
            let version = try await target.client.setSecret(
                output.secret,
                value: Secret(try Self.value(material, output, now: written)),
                contentType: output.contentType,
                tags: tags,
                expires: output.expiresAfter.map { written.addingTimeInterval($0.seconds) }
            )
            metadata[.vaultVersion] = .string(version.version)
            logger.log(.vaultPublished, "\(material.slot) key (\(fingerprint)) published to Key Vault \(output.description)", metadata: metadata)
        }
        for version in try await target.client.versions(output.secret)
        where version.enabled && version.tags[KeyVaultOutput.Tag.resource] == resource
            && version.tags[KeyVaultOutput.Tag.key] == material.slot.rawValue && version.tags[KeyVaultOutput.Tag.fingerprint] != fingerprint
        {
            try await target.client.updateVersion(output.secret, version.version, enabled: false)
            var disabled = metadata
            disabled[.vaultVersion] = .string(version.version)
            disabled[.fingerprint] = .string(version.tags[KeyVaultOutput.Tag.fingerprint] ?? "none")
            logger.log(
                .vaultVersionDisabled,
                "disabled a Key Vault version of \(output.description) holding a regenerated \(material.slot) key",
                metadata: disabled
            )
        }
    }

    /// The secret's value: the output's layout, as a file would hold it, without the final line
    /// break (Key Vault references hand the value over as it is, and a connection string must not
    /// end in a newline).
    static func value(_ material: KeyMaterial, _ output: KeyVaultOutput, now: Date) throws -> String {
        var text = String(decoding: try output.layout.render(material, now: now), as: UTF8.self)
        if text.hasSuffix("\n") { text.removeLast() }
        return text
    }
}
