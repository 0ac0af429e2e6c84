/// Where followers on other hosts record that they delivered a published key: the tags of the Key
/// Vault versions holding it. A protocol so confirmation tests can script the followers.
public protocol FollowerConfirmationSource: Sendable {
    /// The names of the followers that confirmed the version holding `fingerprint` (every Key Vault
    /// output's, when the resource has several: a follower reads one of them).
    func followers(confirming fingerprint: KeyFingerprint) async throws -> Set<String>
}
