import FoundationEssentials

/// A Key Vault secret a resource's published key is written to (`[[resource.outputs]]` with
/// `key_vault`): each publish adds a version, tagged with the resource, the key and its fingerprint.
public struct KeyVaultOutput: Sendable, Equatable {
    /// The vault, `https://NAME.vault.azure.net`.
    public var vault: URL
    /// The secret's name.
    public var secret: String
    /// The value's layout, as a file would have it (its `file` names the secret in messages).
    public var layout: SecretOutput
    /// The content type of each version.
    public var contentType: String?
    /// The operator's tags of each version.
    public var tags: [String: String]
    /// Each version expires this long after it is written.
    public var expiresAfter: Duration?
    /// How often the secret's consumers read it again.
    public var consumerRefresh: Duration

    /// The tag names keyrotd sets on each version (never holding the key).
    public enum Tag {
        /// The resource's configured name.
        public static let resource = "keyrotd-resource"
        /// `primary` or `secondary`.
        public static let key = "keyrotd-key"
        /// The key's fingerprint (`sha256:…`).
        public static let fingerprint = "keyrotd-fingerprint"
        /// In a high-availability group, the epoch of the leadership that wrote the version.
        public static let epoch = "keyrotd-epoch"
    }

    /// Key Vault's limit of tags on a secret, less keyrotd's own.
    public static let maximumOperatorTags = 12

    /// How often a vault's consumers are taken to read it again when the output does not say: App Service's references refresh daily.
    public static let defaultConsumerRefresh: Duration = .seconds(86_400)

    /// Creates an output.
    public init(
        vault: URL,
        secret: String,
        layout: SecretOutput,
        contentType: String? = nil,
        tags: [String: String] = [:],
        expiresAfter: Duration? = nil,
        consumerRefresh: Duration = Self.defaultConsumerRefresh
    ) {
        self.vault = vault
        self.secret = secret
        self.layout = layout
        self.contentType = contentType
        self.tags = tags
        self.expiresAfter = expiresAfter
        self.consumerRefresh = consumerRefresh
    }

    /// Where it is written, for messages: `SECRET in https://NAME.vault.azure.net`.
    public var description: String { "\(secret) in \(vault.absoluteString)" }

    /// Whether `name` is a Key Vault secret name.
    public static func isValidSecretName(_ name: String) -> Bool {
        (1...127).contains(name.count) && name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }
    }
}
