import AzureClient

/// The vault as a follower uses it: the latest version with its value, and tags. A protocol so
/// follower tests can play a vault that changes between polls, fails, or goes back in time.
public protocol FollowedVault: Sendable {
    /// The latest version of `name` with its value, or `nil` when the secret does not exist.
    func latest(_ name: String) async throws -> KeyVaultSecretVersion?
    /// Replaces the tags of `version` of `name` (all of them: Key Vault's PATCH keeps no others).
    func updateVersion(_ name: String, _ version: String, enabled: Bool?, tags: [String: String]?) async throws -> KeyVaultSecretVersion
}

extension KeyVaultClient: FollowedVault {}
