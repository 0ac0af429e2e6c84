/// In a high-availability group consumers do not move with leadership: the leader writes each
/// key to the resource's Key Vault outputs only, and every node — the leader too — writes the
/// resource's file from the first of them through a follower of its own.
extension ResourceConfiguration {
    /// How a node makes the resource's file from its first Key Vault output's value: `true` when
    /// the vault holds the file's own layout (written as it is), `false` when it holds `json`
    /// (laid out anew with the file's format or template), `nil` when neither can give the file
    /// the leader would have written, or there is no Key Vault output (a `check` error in a group).
    public var groupDeliveryIsVerbatim: Bool? {
        guard let vault = keyVaultOutputs.first else { return nil }
        let file = outputs[0]
        if vault.layout.format == file.format, vault.layout.template == file.template, vault.layout.envName == file.envName { return true }
        if vault.layout.format == .json, vault.layout.template == nil { return false }
        return nil
    }

    /// The follower that delivers this resource's file on `node`: named after the resource, as
    /// its credential, polling its first Key Vault output at ``groupFollowInterval(_:)``, running
    /// its hooks, and confirming each version under the node's name when the resource's
    /// `confirm_followers` names the node.
    public func groupFollower(node: String) -> FollowConfiguration? {
        guard let vault = keyVaultOutputs.first, let verbatim = groupDeliveryIsVerbatim else { return nil }
        return FollowConfiguration(
            name: name,
            credential: credential,
            vault: vault.vault,
            secret: vault.secret,
            output: outputs[0],
            verbatim: verbatim,
            onPublish: onPublish,
            interval: Self.groupFollowInterval(vault.consumerRefresh),
            confirm: confirmFollowers.contains(node),
            confirmAs: node
        )
    }

    /// How often a node reads a resource's secret: twice per `consumerRefresh`, so that the grace
    /// (at least `consumer_refresh`, unless followers confirm) leaves a whole poll of margin for
    /// the file to follow the vault, and at least every 5 minutes. Key Vault allows 4,000 reads
    /// per 10 s per vault: 10,000 resources on three nodes read 100 secrets a second at most.
    public static func groupFollowInterval(_ consumerRefresh: Duration) -> Duration {
        min(consumerRefresh / 2, .seconds(300))
    }
}

extension Configuration {
    /// Every follower this node runs: the `[[follow]]` tables and, in a high-availability group,
    /// the one of each resource (``ResourceConfiguration/groupFollower(node:)``).
    public var allFollows: [FollowConfiguration] {
        guard let node = daemon.highAvailability?.node else { return follows }
        return follows + resources.filter { $0.application?.ownCredential == nil }.compactMap { $0.groupFollower(node: node) }
    }
}
