import KeyRotation

/// The leader's side of `confirm_followers`: which followers tagged the Key Vault version holding a
/// published key (`keyrotd-confirmed-NAME` = its fingerprint), read from the latest version of
/// each of the resource's Key Vault outputs; the published key is always the latest version.
public struct KeyVaultFollowerConfirmations: FollowerConfirmationSource {
    private let targets: [KeyVaultPublisher.Target]

    /// Reads the confirmations on `targets`, the resource's Key Vault outputs.
    public init(targets: [KeyVaultPublisher.Target]) {
        self.targets = targets
    }

    public func followers(confirming fingerprint: KeyFingerprint) async throws -> Set<String> {
        let prefix = FollowConfiguration.confirmationTag("")
        var confirmed: Set<String> = []
        for target in targets {
            guard let latest = try await target.client.latest(target.output.secret),
                latest.tags[KeyVaultOutput.Tag.fingerprint] == fingerprint.value
            else { continue }
            for (tag, value) in latest.tags where tag.hasPrefix(prefix) && value == fingerprint.value {
                confirmed.insert(String(tag.dropFirst(prefix.count)))
            }
        }
        return confirmed
    }
}
