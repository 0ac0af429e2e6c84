import FoundationEssentials
import KeyRotation

extension ConfigurationSchema {
    /// `name` of a follower.
    public static let followName = ConfigurationKey(
        "name",
        in: [.follow],
        String.self,
        .string,
        default: .required,
        "the follower's name in its confirmation tag (keyrotd-confirmed-NAME), the leader's confirm_followers, state and status: letters, digits, '-' and '.' (not first), at most 64"
    )
    /// `credential` of a follower.
    public static let followCredential = ConfigurationKey(
        "credential",
        in: [.follow],
        CredentialName.self,
        .string,
        default: .described("the only one"),
        "which [credential.NAME] reads the secret; it needs only to read secrets and update their tags"
    )
    /// `key_vault` of a follower.
    public static let followKeyVault = ConfigurationKey(
        "key_vault",
        in: [.follow],
        URL.self,
        .url,
        default: .required,
        "the vault the leader writes to (https://NAME.vault.azure.net, or the suffix of the credential's cloud)"
    )
    /// `secret` of a follower.
    public static let followSecret = ConfigurationKey(
        "secret",
        in: [.follow],
        KeyVaultSecretName.self,
        .string,
        default: .required,
        "the Key Vault secret followed"
    )
    /// `file` of a follower.
    public static let followFile = ConfigurationKey(
        "file",
        in: [.follow],
        OutputFileName.self,
        .string,
        default: .required,
        "the file the secret's latest version is written to, inside secrets_dir"
    )
    /// `format` of a follower.
    public static let followFormat = ConfigurationKey(
        "format",
        in: [.follow],
        SecretFormat.self,
        .choice(SecretFormat.self),
        default: .described("the value as it is, and a line break"),
        "lays the value out anew, as a resource's format does; this (or template) needs the leader's output to have format = \"json\""
    )
    /// `interval`.
    public static let interval = ConfigurationKey(
        "interval",
        in: [.follow],
        Duration.self,
        .duration(.seconds(1) ... .seconds(86_400)),
        default: .duration(FollowConfiguration.Defaults.interval),
        "how often the vault is asked for a new version (with up to 10 % jitter)"
    )
    /// `confirm`.
    public static let confirm = ConfigurationKey(
        "confirm",
        in: [.follow],
        Bool.self,
        .boolean,
        default: .boolean(FollowConfiguration.Defaults.confirm),
        "tag each delivered version keyrotd-confirmed-NAME = its fingerprint once the file is durable and the hooks succeeded, for the leader's confirm_followers"
    )

    /// The keys of `[[follow]]` declared for it alone, in the documentation's order.
    static let followKeys = [followName, followCredential, followKeyVault, followSecret, followFile, followFormat, interval, confirm]
}

extension FollowConfiguration {
    /// The variable name of a follower's `env` format when it gives none.
    static let defaultEnvName = "KEYROTD_SECRET"

    /// Reads one `[[follow]]`: a vault of the credential's cloud, a secret name, a file inside the
    /// secrets directory, and a layout; nil when it cannot be built.
    static func read(_ t: inout TableReader) -> FollowConfiguration? {
        typealias Key = ConfigurationSchema
        defer { t.finish() }
        let document = t.document
        var name = t.required(Key.followName, as: String.self)
        if let n = name, !isValidName(n) {
            t.error(Key.followName, "'\(n)' must be 1-64 letters, digits, '-' and '.' (not first) (it becomes the tag keyrotd-confirmed-\(n))")
            name = nil
        }
        let credential = CredentialName.read(&t, Key.followCredential, nameIt: "name one")
        let cloud = credential.flatMap { document.credentials[$0]?.cloud }
        let vault =
            t.contains(Key.followKeyVault)
            ? KeyVaultOutput.readVault(&t, Key.followKeyVault, cloud: cloud) : t.required(Key.followKeyVault, as: URL.self)
        let secret = t.required(Key.followSecret, as: KeyVaultSecretName.self)
        let file = t.required(Key.followFile, as: OutputFileName.self)
        let format = t.read(Key.followFormat, as: SecretFormat.self)
        let template = SecretOutput.readTemplate(&t)
        let envName = t.read(Key.envName, as: EnvironmentName.self)
        let mode = t.read(Key.mode, as: FileMode.self)
        let group = t.read(Key.group, as: GroupName.self)
        if format != .env, t.contains(Key.envName) {
            t.warning(Key.envName, "has no effect without format = \"env\"")
        } else if format == .env, !t.contains(Key.envName) {
            t.error(Key.followFormat, "format = \"env\" needs env_name here: a follower does not know the resource's type")
        }
        let onPublish = HookCommand.read(&t, origin: "follower \(name ?? t.keyPath)")
        let interval = t.read(Key.interval, as: Duration.self) ?? Defaults.interval
        let confirm = t.read(Key.confirm, as: Bool.self) ?? Defaults.confirm
        guard let name, let credential, let vault, let secret, let file else { return nil }
        let output = SecretOutput(
            file: file.name,
            format: format ?? .json,
            template: template,
            envName: envName?.name ?? defaultEnvName,
            mode: mode?.bits ?? ResourceConfiguration.Defaults.mode,
            group: group?.name
        )
        return FollowConfiguration(
            name: name,
            credential: credential,
            vault: vault,
            secret: secret.name,
            output: output,
            verbatim: format == nil && template == nil,
            onPublish: onPublish,
            interval: interval,
            confirm: confirm
        )
    }
}
