import FoundationEssentials
import Logging
import SystemPackage

/// A validated keyrotd configuration.
public struct Configuration: Sendable, Equatable {
    /// The file it was read from.
    public var sourcePath: String
    /// Daemon-wide settings.
    public var daemon: DaemonSettings
    /// Named Azure identities, by name.
    public var credentials: [String: CredentialConfiguration]
    /// The resources to rotate, in file order.
    public var resources: [ResourceConfiguration]
    /// The Key Vault secrets followed into local files (`[[follow]]`), in file order.
    public var follows: [FollowConfiguration]

    /// Creates a configuration.
    public init(
        sourcePath: String,
        daemon: DaemonSettings,
        credentials: [String: CredentialConfiguration],
        resources: [ResourceConfiguration],
        follows: [FollowConfiguration] = []
    ) {
        self.sourcePath = sourcePath
        self.daemon = daemon
        self.credentials = credentials
        self.resources = resources
        self.follows = follows
    }
}

/// The `[daemon]` table.
public struct DaemonSettings: Sendable, Equatable {
    /// Where secret files are published.
    public var secretsDirectory: String
    /// Where per-resource state and the instance lock live.
    public var stateDirectory: String
    /// How many resources may be working at the same instant, and how many HTTPS connections keyrotd
    /// opens to one host. ARM's budget, not this cap, paces a wave: at Internet latency a wave needs
    /// about as many calls in flight as the budget's burst.
    public var concurrency: Int
    /// A PEM file of extra trust roots (for a private CA or the emulator), added to the system store.
    public var tlsCAFile: String?
    /// The first delay after a failed rotation; it doubles per failure up to ``retryMax``.
    public var retryInitial: Duration
    /// The longest delay between retries of a failing rotation.
    public var retryMax: Duration
    /// The lowest log level written.
    public var logLevel: Logger.Level
    /// How long one HTTP request to ARM or Entra ID may take before it is abandoned (and retried).
    public var requestTimeout: Duration
    /// ARM's per-subscription write burst, which keyrotd paces itself within.
    public var armWriteBurst = Defaults.armWriteBurst
    /// ARM's per-subscription write refill rate (writes per second).
    public var armWritesPerSecond = Defaults.armWritesPerSecond
    /// The hook run after every resource's key is published, after the resource's own.
    public var onPublish: HookCommand?
    /// Where the control socket lives (the unit's `RuntimeDirectory=`).
    public var runtimeDirectory = Defaults.runtimeDirectory
    /// The Prometheus text file for node_exporter's textfile collector, if one is wanted.
    public var metricsFile: String?
    /// Where keyrotd keeps the client secrets it rotated for its own credentials (`own_secret`).
    public var credentialsDirectory = Defaults.credentialsDirectory
    /// How often every `[[application]]`'s credentials are read for the expiry watch.
    public var applicationWatchInterval = Defaults.applicationWatchInterval
    /// The `[ha]` table: this node's high-availability group, if it is in one.
    public var highAvailability: HighAvailability?

    /// The control socket `keyrotd rotate` and `keyrotd status` talk to.
    public var controlSocket: String { FilePath(runtimeDirectory).appending("control.sock").string }

    /// Creates daemon settings.
    public init(
        secretsDirectory: String,
        stateDirectory: String,
        concurrency: Int = Defaults.concurrency,
        tlsCAFile: String? = nil,
        retryInitial: Duration = Defaults.retryInitial,
        retryMax: Duration = Defaults.retryMax,
        logLevel: Logger.Level = Defaults.logLevel,
        requestTimeout: Duration = Defaults.requestTimeout
    ) {
        self.secretsDirectory = secretsDirectory
        self.stateDirectory = stateDirectory
        self.concurrency = concurrency
        self.tlsCAFile = tlsCAFile
        self.retryInitial = retryInitial
        self.retryMax = retryMax
        self.logLevel = logLevel
        self.requestTimeout = requestTimeout
    }
}

extension DaemonSettings {
    /// The value of each `[daemon]` setting the file does not give.
    public enum Defaults {
        /// Where secret files are published.
        public static let secretsDirectory = "/var/lib/keyrotd/secrets"
        /// Where state records and the instance lock live.
        public static let stateDirectory = "/var/lib/keyrotd/state"
        /// Resources working at once, and connections to one host.
        public static let concurrency = 256
        /// The first wait after a failed step.
        public static let retryInitial: Duration = .seconds(30)
        /// The longest wait between retries.
        public static let retryMax: Duration = .seconds(3600)
        /// How long one HTTP request may take.
        public static let requestTimeout: Duration = .seconds(60)
        /// The lowest level logged.
        public static let logLevel = Logger.Level.info
        /// ARM's write burst per subscription and credential.
        public static let armWriteBurst = 200
        /// ARM's write refill per second.
        public static let armWritesPerSecond = 10.0
        /// The control socket's directory (the unit's `RuntimeDirectory=`).
        public static let runtimeDirectory = "/run/keyrotd"
        /// keyrotd's own rotated client secrets.
        public static let credentialsDirectory = "/var/lib/keyrotd/credentials"
        /// How often applications' credentials are read.
        public static let applicationWatchInterval: Duration = .seconds(3600)
    }
}

/// A `[credential.NAME]` table: how keyrotd authenticates to ARM.
public struct CredentialConfiguration: Sendable, Equatable {
    /// The kinds of identity keyrotd can use.
    public enum Kind: Sendable, Equatable {
        /// An app registration with a client secret read from a file.
        case clientSecret(file: String)
        /// An app registration with a certificate: a signed client assertion proves the key.
        case clientCertificate(certificateFile: String, privateKeyFile: String, algorithm: AssertionAlgorithm)
        /// The managed identity of the VM, App Service or Arc-connected server (system-assigned when `nil`).
        case managedIdentity(UserAssignedIdentity?)
        /// A Kubernetes service account token exchanged through a federated identity credential.
        /// `nil` fields come from `AZURE_FEDERATED_TOKEN_FILE` at run time.
        case workloadIdentity(tokenFile: String?)
        /// The environment decides: service principal from `AZURE_*`, then workload identity, then managed identity.
        case auto
    }

    /// How a certificate credential signs its client assertion.
    public enum AssertionAlgorithm: String, Sendable, Equatable, CaseIterable {
        /// RSASSA-PSS with SHA-256, the certificate named by `x5t#S256` (what current Azure SDKs send).
        case ps256 = "PS256"
        /// RSASSA-PKCS1-v1_5 with SHA-256, the certificate named by its SHA-1 `x5t` (the legacy form, ADFS).
        case rs256 = "RS256"
    }

    /// Which user-assigned managed identity to use.
    public enum UserAssignedIdentity: Sendable, Equatable {
        /// By its client (application) id.
        case clientID(String)
        /// By its object (principal) id.
        case objectID(String)
        /// By its ARM resource id.
        case resourceID(String)
    }

    /// The table name.
    public var name: String
    /// The Entra ID tenant (directory) id; `nil` where the environment supplies it.
    public var tenant: String?
    /// The application (client) id; `nil` where the environment supplies it.
    public var clientID: String?
    /// The identity kind and its material.
    public var kind: Kind
    /// The cloud the endpoints below default to.
    public var cloud: AzureCloud
    /// The Entra ID authority host, e.g. `https://login.microsoftonline.com`.
    public var authorityHost: URL
    /// The ARM endpoint, e.g. `https://management.azure.com`.
    public var armEndpoint: URL
    /// The Microsoft Graph endpoint, e.g. `https://graph.microsoft.com`.
    public var graphEndpoint: URL
    /// The OAuth scope requested for ARM, e.g. `https://management.azure.com/.default`.
    public var scope: String
    /// For a client secret keyrotd rotates itself (an `[[application]]` with `own_secret`), the
    /// file in the credentials directory holding the current one, preferred to the bootstrap file.
    public var rotatedSecretFile: String?
    /// The OAuth scope of Graph tokens: the Graph endpoint's `.default`.
    public var graphScope: String {
        var base = graphEndpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return base + "/.default"
    }

    /// Creates a credential configuration; endpoints default to those of `cloud`.
    public init(
        name: String,
        tenant: String?,
        clientID: String?,
        kind: Kind,
        cloud: AzureCloud = .azureCloud,
        authorityHost: URL? = nil,
        armEndpoint: URL? = nil,
        graphEndpoint: URL? = nil,
        scope: String? = nil
    ) {
        self.name = name
        self.tenant = tenant
        self.clientID = clientID
        self.kind = kind
        self.cloud = cloud
        self.authorityHost = authorityHost ?? cloud.authorityHost
        self.armEndpoint = armEndpoint ?? cloud.armEndpoint
        self.graphEndpoint = graphEndpoint ?? cloud.graphEndpoint
        self.scope = scope ?? cloud.armScope
    }
}

/// One `[[resource]]` entry.
public struct ResourceConfiguration: Sendable, Equatable {
    /// The name used in logs, state and the CLI; defaults to the ARM resource name.
    public var name: String
    /// What it rotates: an Azure resource (its ARM id names the type) or an app registration.
    public var target: RotationTarget
    // The one-byte settings and the mode sit right after `target`, in the padding its two type indexes
    // leave (the fields are laid out in declaration order): scattered, each took eight bytes of
    // every one of thousands of resources.
    /// Which pair of keys is rotated.
    public var keyPair: ResourceType.KeyPair = .readWrite
    /// How keys are rotated.
    public var strategy: RotationStrategy
    /// The secret file layout.
    public var format: SecretFormat
    /// Whether a new key must authenticate against the resource's data plane before it is published.
    public var verify: Bool
    /// The secret file's permission bits.
    public var mode: UInt32
    /// The credential (by name) used for this resource.
    public var credential: String
    /// When regenerations may start; `nil`: always.
    public var windows: MaintenanceWindows?
    /// The rotation period.
    public var every: Duration
    /// How long consumers get to move to a newly published key before the old one is regenerated.
    public var grace: Duration
    /// A random delay in `[0, jitter]` added to each scheduled rotation so resources do not fire at once.
    public var jitter: Duration
    /// The secret file name, inside the secrets directory.
    public var output: String

    /// Settings most resources leave at their defaults, kept out of line (one word when all are
    /// default): each inline field cost every one of 10,000 resources its bytes.
    private struct Extras: Sendable, Equatable {
        var endpoint: URL? = nil
        var group: String? = nil
        var onPublish: HookCommand? = nil
        var confirmAckFiles: [String] = []
        var confirmCommand: HookCommand? = nil
        var confirmTimeout: Duration = Defaults.confirmTimeout
        var confirmFollowers: [String] = []
        var template: SecretTemplate? = nil
        var additionalOutputs: [SecretOutput] = []
        var keyVaultOutputs: [KeyVaultOutput] = []
        var apiVersion: String? = nil
        var envName: String? = nil
    }

    private var extrasStorage: Indirect<Extras>?

    private var extras: Extras {
        get { extrasStorage?.value ?? Extras() }
        set { extrasStorage = newValue == Extras() ? nil : .value(newValue) }
    }

    /// The ARM id, for an Azure resource.
    public var armID: ResourceID? {
        if case .arm(let id) = target { id } else { nil }
    }
    /// The app registration, for an `[[application]]`.
    public var application: ApplicationTarget? {
        if case .application(let application) = target { application } else { nil }
    }
    /// The ARM api-version: the type's unless the configuration names another (empty for an application).
    public var apiVersion: String {
        get { extras.apiVersion ?? armID?.type.apiVersion ?? "" }
        set { extras.apiVersion = newValue == (armID?.type.apiVersion ?? "") ? nil : newValue }
    }
    /// The variable name of the `env` format: the type's unless the configuration names another
    /// (azure-identity's `AZURE_CLIENT_SECRET` for an application).
    public var envName: String {
        get { extras.envName ?? Self.defaultEnvName(target) }
        set { extras.envName = newValue == Self.defaultEnvName(target) ? nil : newValue }
    }

    private static func defaultEnvName(_ target: RotationTarget) -> String {
        switch target {
        case .arm(let id): id.type.envName
        case .application: "AZURE_CLIENT_SECRET"
        }
    }

    /// The layout of a file that names none: the type's, the secret alone for an application.
    public static func defaultFormat(_ target: RotationTarget) -> SecretFormat {
        switch target {
        case .arm(let id): id.type.defaultFormat
        case .application: .key
        }
    }
    /// The data-plane endpoint, where the configuration names one.
    public var endpoint: URL? {
        get { extras.endpoint }
        set { extras.endpoint = newValue }
    }
    /// The secret file's group, or `nil` for the daemon's own group.
    public var group: String? {
        get { extras.group }
        set { extras.group = newValue }
    }
    /// The resource's own hook, run after its key is published.
    public var onPublish: HookCommand? {
        get { extras.onPublish }
        set { extras.onPublish = newValue }
    }
    /// Files the consumers write the fingerprint of the key they loaded to.
    public var confirmAckFiles: [String] {
        get { extras.confirmAckFiles }
        set { extras.confirmAckFiles = newValue }
    }
    /// A command that exits 0 once the consumers run on `KEYROTD_FINGERPRINT`.
    public var confirmCommand: HookCommand? {
        get { extras.confirmCommand }
        set { extras.confirmCommand = newValue }
    }
    /// How long consumers have to confirm a published key before the alarm.
    public var confirmTimeout: Duration {
        get { extras.confirmTimeout }
        set { extras.confirmTimeout = newValue }
    }
    /// Followers on other hosts that must confirm each published key on the Key Vault outputs.
    public var confirmFollowers: [String] {
        get { extras.confirmFollowers }
        set { extras.confirmFollowers = newValue }
    }
    /// The operator's layout of ``output``, in place of ``format``.
    public var template: SecretTemplate? {
        get { extras.template }
        set { extras.template = newValue }
    }
    /// Further files the key is written to (`[[resource.outputs]]`).
    public var additionalOutputs: [SecretOutput] {
        get { extras.additionalOutputs }
        set { extras.additionalOutputs = newValue }
    }
    /// Key Vault secrets the key is written to (`[[resource.outputs]]` with `key_vault`).
    public var keyVaultOutputs: [KeyVaultOutput] {
        get { extras.keyVaultOutputs }
        set { extras.keyVaultOutputs = newValue }
    }

    /// Every file the key is written to: ``output`` first.
    public var outputs: [SecretOutput] {
        [SecretOutput(file: output, format: format, template: template, envName: envName, mode: mode, group: group)] + additionalOutputs
    }

    /// Creates a resource configuration; the api-version, format and `env` variable default to the type's.
    public init(
        name: String,
        id: ResourceID,
        credential: String,
        apiVersion: String? = nil,
        strategy: RotationStrategy = Defaults.strategy,
        every: Duration = Defaults.every,
        grace: Duration = Defaults.grace,
        jitter: Duration = Defaults.jitter,
        output: String,
        format: SecretFormat? = nil,
        envName: String? = nil,
        mode: UInt32 = Defaults.mode,
        group: String? = nil,
        onPublish: HookCommand? = nil,
        verify: Bool = Defaults.verify
    ) {
        self.init(
            name: name,
            target: .arm(id),
            credential: credential,
            apiVersion: apiVersion,
            strategy: strategy,
            every: every,
            grace: grace,
            jitter: jitter,
            output: output,
            format: format,
            envName: envName,
            mode: mode,
            group: group,
            onPublish: onPublish,
            verify: verify
        )
    }

    /// Creates the configuration of a resource or an application (`target`).
    public init(
        name: String,
        target: RotationTarget,
        credential: String,
        apiVersion: String? = nil,
        strategy: RotationStrategy = Defaults.strategy,
        every: Duration = Defaults.every,
        grace: Duration = Defaults.grace,
        jitter: Duration = Defaults.jitter,
        output: String,
        format: SecretFormat? = nil,
        envName: String? = nil,
        mode: UInt32 = Defaults.mode,
        group: String? = nil,
        onPublish: HookCommand? = nil,
        verify: Bool = Defaults.verify
    ) {
        self.name = name
        self.target = target
        self.credential = credential
        self.strategy = strategy
        self.every = every
        self.grace = grace
        self.jitter = jitter
        self.output = output
        self.format = format ?? Self.defaultFormat(target)
        self.mode = mode
        self.verify = verify
        self.group = group
        self.onPublish = onPublish
        if let apiVersion { self.apiVersion = apiVersion }
        if let envName { self.envName = envName }
    }
}

extension ResourceConfiguration {
    /// The value of each resource setting that neither the resource nor `[defaults]` sets.
    public enum Defaults {
        /// Rotation strategy.
        public static let strategy = RotationStrategy.full
        /// Rotation period.
        public static let every: Duration = .seconds(30 * 86_400)
        /// Grace before the key consumers leave is regenerated.
        public static let grace: Duration = .seconds(3600)
        /// Random extra delay of scheduled rotations.
        public static let jitter: Duration = .zero
        /// Secret file mode.
        public static let mode: UInt32 = 0o640
        /// Whether new keys are verified against the data plane.
        public static let verify = false
        /// How long consumers have to confirm a published key.
        public static let confirmTimeout: Duration = .seconds(3600)
    }
}
