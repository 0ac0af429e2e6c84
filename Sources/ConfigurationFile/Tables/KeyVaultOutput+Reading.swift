import FoundationEssentials
import KeyRotation

extension ConfigurationSchema {
    /// `key_vault`.
    public static let keyVault = ConfigurationKey(
        "key_vault",
        in: [.output],
        only: [KeyVaultOutput.variant],
        URL.self,
        .url,
        default: .none,
        "instead of file: the vault (https://NAME.vault.azure.net, or the suffix of the credential's cloud) whose secret gets a new version for each published key; format, template and env_name default to the resource's"
    )
    /// `secret`.
    public static let secret = ConfigurationKey(
        "secret",
        in: [.output],
        only: [KeyVaultOutput.variant],
        KeyVaultSecretName.self,
        .string,
        default: .described("required with key_vault"),
        "the Key Vault secret's name: letters, digits and '-', at most 127"
    )
    /// `content_type`.
    public static let contentType = ConfigurationKey(
        "content_type",
        in: [.output],
        only: [KeyVaultOutput.variant],
        String.self,
        .string,
        default: .none,
        "the content type of each version written to Key Vault"
    )
    /// `tags`.
    public static let tags = ConfigurationKey(
        "tags",
        in: [.output],
        only: [KeyVaultOutput.variant],
        StringTable.self,
        .stringTable,
        default: .none,
        "tags of each version written to Key Vault, besides keyrotd's own (keyrotd-resource, keyrotd-key, keyrotd-fingerprint); at most 12"
    )
    /// `expires_after`.
    public static let expiresAfter = ConfigurationKey(
        "expires_after",
        in: [.output],
        only: [KeyVaultOutput.variant],
        Duration.self,
        .duration(nil),
        default: .none,
        "sets each Key Vault version's expiry this long after it is written (for a policy that secrets must expire); at least every + grace"
    )
    /// `consumer_refresh`.
    public static let consumerRefresh = ConfigurationKey(
        "consumer_refresh",
        in: [.output],
        only: [KeyVaultOutput.variant],
        Duration.self,
        .duration(nil),
        default: .duration(KeyVaultOutput.defaultConsumerRefresh),
        "how often the Key Vault secret's consumers read it again (App Service references: 24h, the AKS CSI driver: 2m); the resource's grace must be at least this, unless confirm_followers names its consumers"
    )

    /// The keys of a Key Vault's `[[resource.outputs]]`, in the documentation's order.
    static let vaultOutputKeys = [keyVault, secret, contentType, tags, expiresAfter, consumerRefresh]
}

extension KeyVaultOutput {
    /// The variant of `[[resource.outputs]]` that writes a Key Vault secret.
    static let variant = "key-vault"

    /// Reads a `[[resource.outputs]]` with `key_vault`: a vault of the credential's cloud (or a
    /// loopback emulator), a valid secret name, an expiry that outlives a rotation, and a grace that
    /// outlasts the consumers' refresh.
    static func read(_ o: inout TableReader, resource: ResourceConfiguration, cloud: AzureCloud?) -> KeyVaultOutput? {
        typealias Key = ConfigurationSchema
        o.variant = variant
        defer { o.finish { key in "a Key Vault output has no \(key.name); give file or key_vault, not both" } }
        let vault = readVault(&o, Key.keyVault, cloud: cloud)
        let secret = o.required(Key.secret, as: KeyVaultSecretName.self)
        let tags = o.read(Key.tags, as: StringTable.self)?.entries ?? [:]
        // In a high-availability group each version also carries the leadership's epoch.
        let epoch = o.document.root["ha"] == nil ? 0 : 1
        let allowed = maximumOperatorTags - resource.confirmFollowers.count - epoch
        if tags.count > allowed {
            o.error(
                Key.tags,
                "at most \(allowed) tags (Key Vault allows 15; keyrotd sets 3"
                    + (epoch == 0 ? "" : ", the group's epoch one")
                    + (resource.confirmFollowers.isEmpty ? ")" : " and each of confirm_followers one)")
            )
        }
        if let own = tags.keys.sorted().first(where: { $0.hasPrefix("keyrotd-") }) {
            o.error(Key.tags, "'\(own)': tags starting with keyrotd- are keyrotd's own")
        }
        let expiresAfter = o.read(Key.expiresAfter, as: Duration.self)
        if let expiresAfter, expiresAfter < resource.every + resource.grace {
            o.error(
                Key.expiresAfter,
                "\(DurationFormat.format(expiresAfter)) is shorter than every + grace (\(DurationFormat.format(resource.every + resource.grace))): versions would expire while consumers still read them"
            )
        }
        let consumerRefresh = o.read(Key.consumerRefresh, as: Duration.self) ?? defaultConsumerRefresh
        // Followers that confirm are the consumers: the key is kept until they have the new one.
        if resource.grace < consumerRefresh, resource.confirmFollowers.isEmpty {
            o.error(
                o.contains(Key.consumerRefresh) ? Key.consumerRefresh : Key.keyVault,
                "the resource's grace (\(DurationFormat.format(resource.grace))) is shorter than consumer_refresh (\(DurationFormat.format(consumerRefresh))): consumers of the vault would still hold the key it regenerates. Raise grace, say so with consumer_refresh if the consumers refresh faster, or have followers confirm (confirm_followers)"
            )
        }
        let contentType = o.read(Key.contentType, as: String.self)
        let format = o.read(Key.format, as: SecretFormat.self) ?? resource.format
        let template = SecretOutput.readTemplate(&o)
        let envName = o.read(Key.envName, as: EnvironmentName.self)?.name ?? resource.envName
        guard let vault, let secret else { return nil }
        let layout = SecretOutput(
            file: "\(secret.name) in \(vault.absoluteString)",
            format: format,
            template: template,
            envName: envName,
            mode: 0o600,
            group: nil
        )
        return KeyVaultOutput(
            vault: vault,
            secret: secret.name,
            layout: layout,
            contentType: contentType,
            tags: tags,
            expiresAfter: expiresAfter,
            consumerRefresh: consumerRefresh
        )
    }

    /// `key` (a resource output's or a follower's `key_vault`): the URL of a vault of the
    /// credential's cloud (or of a loopback emulator), without a path.
    static func readVault(_ t: inout TableReader, _ key: ConfigurationKey, cloud: AzureCloud?) -> URL? {
        guard let url = t.read(key, as: URL.self), let host = url.host?.lowercased() else { return nil }
        let cloud = cloud ?? .azureCloud
        let suffix = cloud.keyVaultHostSuffix
        if !(url.path.isEmpty || url.path == "/") || url.query != nil {
            t.error(key, "'\(url.absoluteString)' must be the vault's URL alone, https://NAME\(suffix), without a path")
            return nil
        }
        if !host.hasSuffix(suffix), !EndpointPolicy.isLoopback(host: host) {
            t.error(key, "'\(host)' is not a vault of \(cloud.rawValue): its host must end in \(suffix)")
            return nil
        }
        return url
    }
}
