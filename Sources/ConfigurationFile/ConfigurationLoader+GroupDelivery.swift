import KeyRotation

extension ConfigurationLoader {
    /// In a high-availability group every node writes each resource's file from its first Key
    /// Vault output (``ResourceConfiguration/groupFollower(node:)``): each resource needs one,
    /// holding a layout the file can be made from, and one file; a `[[follow]]` may not take a
    /// resource's name, which the resource's own follower records its deliveries under.
    static func checkGroupDelivery(
        _ resources: [ReadResource],
        _ follows: [(keyPath: String, follow: FollowConfiguration)],
        in document: ConfigurationDocument
    ) {
        // keyrotd's own secret is each node's own: rotated locally, delivered to no one.
        for read in resources where read.resource.application?.ownCredential == nil {
            let resource = read.resource
            guard !resource.keyVaultOutputs.isEmpty else {
                document.error(
                    read.keyPath,
                    "'\(resource.name)' has no Key Vault output: in a high-availability group ([ha]) every node delivers each key from Key Vault, so each resource needs a [[resource.outputs]] with key_vault"
                )
                continue
            }
            if resource.groupDeliveryIsVerbatim == nil {
                document.error(
                    "\(read.vaultKeyPaths[0]).key_vault",
                    "in a high-availability group ([ha]) each node writes '\(resource.output)' from this Key Vault output, which holds another layout than the file: give it the file's format (and template), or format = \"json\" so that each node lays the file out itself"
                )
            }
            if let extra = read.fileKeyPaths.first {
                document.error(
                    "\(extra).file",
                    "in a high-availability group ([ha]) a resource delivers one file on each node; write the others with [[follow]] tables of its Key Vault secret"
                )
            }
        }
        let names = Set(resources.map { $0.resource.name })
        for (keyPath, follow) in follows where names.contains(follow.name) {
            document.error(
                "\(keyPath).name",
                "'\(follow.name)' is the name of a resource, whose own follower delivers its file on each node of the group; give this [[follow]] another name"
            )
        }
    }
}
