import KeyRotation

extension ConfigurationLoader {
    /// What must be unique across the file: resource and follower names, resource ids, the files
    /// written and the Key Vault secrets written.
    static func checkUniqueness(
        _ resources: [ReadResource],
        _ follows: [(keyPath: String, follow: FollowConfiguration)],
        in document: ConfigurationDocument
    ) {
        // Where each value was first seen, as a key path: resolved to a line only for an error.
        var names: [String: String] = [:]
        var outputs: [String: String] = [:]
        var vaultSecrets: [String: String] = [:]
        var ids: [String: String] = [:]
        for read in resources {
            let key = read.keyPath
            let resource = read.resource
            if let first = names[resource.name.lowercased()] {
                document.error("\(key).name", "duplicate resource name '\(resource.name)' (also used at line \(document.line(of: first)))")
            } else {
                names[resource.name.lowercased()] = "\(key).name"
            }
            for (i, output) in resource.outputs.enumerated() {
                let keyPath = i == 0 ? "\(key).output" : "\(read.fileKeyPaths[i - 1]).file"
                if let first = outputs[output.file] {
                    document.error(keyPath, "output '\(output.file)' is already written by the resource at line \(document.line(of: first))")
                } else {
                    outputs[output.file] = i == 0 ? key : keyPath
                }
            }
            for (i, output) in resource.keyVaultOutputs.enumerated() {
                let secret = output.vault.absoluteString.lowercased() + "|" + output.secret.lowercased()
                if let first = vaultSecrets[secret] {
                    document.error(
                        "\(read.vaultKeyPaths[i]).secret",
                        "\(output.description) is already written by the resource at line \(document.line(of: first)): two resources would overwrite each other's key"
                    )
                } else {
                    vaultSecrets[secret] = "\(read.vaultKeyPaths[i]).secret"
                }
            }
            let id = resource.target.recordID.lowercased()
            if let first = ids[id] {
                let field: String
                switch resource.application?.reference {
                case nil: field = "id"
                case .clientID?: field = "client_id"
                case .objectID?: field = "object_id"
                }
                document.error(
                    "\(key).\(field)",
                    resource.armID != nil
                        ? "resource id is already configured at line \(document.line(of: first)): two rotations of one resource would regenerate each other's published key"
                        : "application is already configured at line \(document.line(of: first)): one entry rotates and watches it"
                )
            } else {
                ids[id] = key
            }
        }
        var followers: [String: String] = [:]
        for (key, follow) in follows {
            if let first = followers[follow.name.lowercased()] {
                document.error(
                    "\(key).name",
                    "duplicate follower name '\(follow.name)' (also used at line \(document.line(of: first))): the leader could not tell their confirmations apart"
                )
            } else {
                followers[follow.name.lowercased()] = "\(key).name"
            }
            if let first = outputs[follow.output.file] {
                document.error("\(key).file", "'\(follow.output.file)' is already written by the entry at line \(document.line(of: first))")
            } else {
                outputs[follow.output.file] = "\(key).file"
            }
        }
    }
}
