import FoundationEssentials

/// One `[[follow]]` table: a Key Vault secret that keyrotd on another host (the leader) writes,
/// followed into a file in this host's secrets directory.
public struct FollowConfiguration: Sendable, Equatable {
    /// The follower's name: in its confirmation tag, the leader's `confirm_followers`, state and status.
    public var name: String
    /// The credential (by name) that reads the secret.
    public var credential: String
    /// The vault, `https://NAME.vault.azure.net`.
    public var vault: URL
    /// The secret's name.
    public var secret: String
    /// The file written (name, mode, group) and, unless ``verbatim``, its layout.
    public var output: SecretOutput
    /// Whether the value is written as it is (and a line break); otherwise it must be the leader's
    /// `json` layout, laid out anew by ``output``'s format or template.
    public var verbatim: Bool
    /// The hook run after each new version is durably written.
    public var onPublish: HookCommand?
    /// How often the vault is asked for a new version.
    public var interval: Duration
    /// Whether each delivered version is tagged as confirmed by this follower.
    public var confirm: Bool
    /// The name its confirmation tag carries, when not its own: in a high-availability group the
    /// node's, so that a resource's `confirm_followers` names the group's nodes.
    public var confirmAs: String?

    /// Creates a follower's configuration.
    public init(
        name: String,
        credential: String,
        vault: URL,
        secret: String,
        output: SecretOutput,
        verbatim: Bool = true,
        onPublish: HookCommand? = nil,
        interval: Duration = Defaults.interval,
        confirm: Bool = Defaults.confirm,
        confirmAs: String? = nil
    ) {
        self.confirmAs = confirmAs
        self.name = name
        self.credential = credential
        self.vault = vault
        self.secret = secret
        self.output = output
        self.verbatim = verbatim
        self.onPublish = onPublish
        self.interval = interval
        self.confirm = confirm
    }

    /// Whether this is a resource's own follower in a high-availability group (its tag carries
    /// the node's name): the secret is the group leader's to create, so until it has, the
    /// follower waits rather than fails.
    public var deliversForGroup: Bool { confirmAs != nil }

    /// The tag this follower sets on each version it delivered: its value is the version's fingerprint.
    public var confirmationTag: String { Self.confirmationTag(confirmAs ?? name) }

    /// The confirmation tag of follower `name`.
    public static func confirmationTag(_ name: String) -> String { "keyrotd-confirmed-" + name }

    /// Where it reads from, for messages: `SECRET in https://NAME.vault.azure.net`.
    public var source: String { "\(secret) in \(vault.absoluteString)" }

    /// Whether `name` is a follower name: it becomes part of a tag name and a file name.
    /// Dots are allowed after the first character, so that a group's node names (host names) can
    /// be named in `confirm_followers`.
    public static func isValidName(_ name: String) -> Bool {
        guard let first = name.first, first.isASCII, first.isLetter || first.isNumber, name.count <= 64 else { return false }
        return name.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == ".") }
    }
}

extension FollowConfiguration {
    /// The values of a follower's settings its table does not give.
    public enum Defaults {
        /// How often the vault is asked for a new version.
        public static let interval: Duration = .seconds(30)
        /// Whether delivered versions are tagged as confirmed.
        public static let confirm = true
    }
}
