/// Every key of `keyrotd.toml`, each declared once (see ``ConfigurationKey``).
public enum ConfigurationSchema {
    // MARK: - [daemon]

    /// `secrets_dir`.
    public static let secretsDir = ConfigurationKey(
        "secrets_dir",
        in: [.daemon],
        .path,
        default: .string("/var/lib/keyrotd/secrets"),
        "where secret files are published; consumers watch this directory; restart to change"
    )
    /// `state_dir`.
    public static let stateDir = ConfigurationKey(
        "state_dir",
        in: [.daemon],
        .path,
        default: .string("/var/lib/keyrotd/state"),
        "one state record per resource (fingerprints only) and the instance lock; restart to change"
    )
    /// `concurrency`.
    public static let concurrency = ConfigurationKey(
        "concurrency",
        in: [.daemon],
        .integer(1...1024),
        default: .integer(256),
        "resources working at once, and HTTPS connections to one host; ARM's budget, not this cap, paces a wave"
    )
    /// `tls_ca_file`.
    public static let tlsCAFile = ConfigurationKey(
        "tls_ca_file",
        in: [.daemon],
        .path,
        default: .none,
        "extra PEM trust roots (a private CA, a TLS-inspecting proxy), added to the system store; restart to change"
    )
    /// `retry_initial`.
    public static let retryInitial = ConfigurationKey(
        "retry_initial",
        in: [.daemon],
        .duration(nil),
        default: .duration(.seconds(30)),
        "the first wait after a failed step; it doubles (jittered) up to retry_max"
    )
    /// `retry_max`.
    public static let retryMax = ConfigurationKey(
        "retry_max",
        in: [.daemon],
        .duration(nil),
        default: .duration(.seconds(3600)),
        "the longest wait between retries of a failing step; not shorter than retry_initial"
    )
    /// `request_timeout`.
    public static let requestTimeout = ConfigurationKey(
        "request_timeout",
        in: [.daemon],
        .duration(.milliseconds(100) ... .seconds(86_400)),
        default: .duration(.seconds(60)),
        "how long one HTTP request to ARM or Entra ID may take before it is abandoned and retried"
    )
    /// `log_level`.
    public static let logLevel = ConfigurationKey(
        "log_level",
        in: [.daemon],
        .choice(["trace", "debug", "info", "notice", "warning", "error", "critical"]),
        default: .string("info"),
        "the lowest level written to the journal"
    )
    /// `arm_write_burst`.
    public static let armWriteBurst = ConfigurationKey(
        "arm_write_burst",
        in: [.daemon],
        .integer(1...100_000),
        default: .integer(200),
        "ARM's write burst per subscription and credential, which keyrotd paces itself within; restart to change"
    )
    /// `arm_writes_per_second`.
    public static let armWritesPerSecond = ConfigurationKey(
        "arm_writes_per_second",
        in: [.daemon],
        .number(0.001...10_000),
        default: .number(10),
        "ARM's write refill per second, per subscription and credential; restart to change"
    )
    /// `runtime_dir`.
    public static let runtimeDir = ConfigurationKey(
        "runtime_dir",
        in: [.daemon],
        .path,
        default: .string("/run/keyrotd"),
        "holds the control socket control.sock (the unit's RuntimeDirectory=); restart to change"
    )
    /// `metrics_file`.
    public static let metricsFile = ConfigurationKey(
        "metrics_file",
        in: [.daemon],
        .path,
        default: .none,
        "a Prometheus text file for node_exporter's textfile collector (name ending in .prom), replaced when figures change and every minute; restart to change"
    )
    /// `on_publish`, in `[daemon]`, per resource and per follower.
    public static let onPublish = ConfigurationKey(
        "on_publish",
        in: [.daemon, .resource, .follow],
        .command,
        default: .none,
        "a hook: the program's absolute path, then its arguments, run without a shell after the key is durably written (the daemon's after the resource's or follower's)"
    )
    /// `hook_timeout`.
    public static let hookTimeout = ConfigurationKey(
        "hook_timeout",
        in: [.daemon, .resource, .follow],
        .duration(.milliseconds(100) ... .seconds(3600)),
        default: .duration(.seconds(30)),
        "then SIGTERM to the hook's process group, SIGKILL 5 s later; a timeout fails the delivery"
    )

    // MARK: - [credential.NAME]

    /// `kind`.
    public static let credentialKind = ConfigurationKey(
        "kind",
        in: [.credential],
        .choice(["service-principal", "managed-identity", "workload-identity", "auto"]),
        default: .string("service-principal"),
        "how keyrotd proves its identity (README, \"Azure identities\")"
    )
    /// `cloud`.
    public static let cloud = ConfigurationKey(
        "cloud",
        in: [.credential],
        .choice(AzureCloud.allCases.map(\.rawValue)),
        default: .string(AzureCloud.azureCloud.rawValue),
        "the Azure cloud, which sets authority, arm_endpoint and scope"
    )
    /// `authority`.
    public static let authority = ConfigurationKey(
        "authority",
        in: [.credential],
        .url,
        default: .described("the cloud's (`https://login.microsoftonline.com`)"),
        "the Entra ID host"
    )
    /// `arm_endpoint`.
    public static let armEndpoint = ConfigurationKey(
        "arm_endpoint",
        in: [.credential],
        .url,
        default: .described("the cloud's (`https://management.azure.com`)"),
        "the ARM host"
    )
    /// `scope`.
    public static let scope = ConfigurationKey(
        "scope",
        in: [.credential],
        .string,
        default: .described("the cloud's, or `<arm_endpoint>/.default` when that is set"),
        "the OAuth scope of ARM tokens"
    )
    /// `tenant`.
    public static let tenant = ConfigurationKey(
        "tenant",
        in: [.credential],
        kinds: ["service-principal", "workload-identity"],
        .string,
        default: .described("required (workload identity: `AZURE_TENANT_ID`)"),
        "the Entra ID tenant id or domain"
    )
    /// `client_id`.
    public static let clientID = ConfigurationKey(
        "client_id",
        in: [.credential],
        kinds: ["service-principal", "managed-identity", "workload-identity"],
        .string,
        default: .described("required (managed identity: system-assigned; workload identity: `AZURE_CLIENT_ID`)"),
        "the app registration, or the user-assigned managed identity"
    )
    /// `client_secret_file`.
    public static let clientSecretFile = ConfigurationKey(
        "client_secret_file",
        in: [.credential],
        kinds: ["service-principal"],
        .path,
        default: .described("this or `certificate_file`"),
        "the file holding the client secret, not readable by others, read for every token; the secret itself is refused in keyrotd.toml"
    )
    /// `certificate_file`.
    public static let certificateFile = ConfigurationKey(
        "certificate_file",
        in: [.credential],
        kinds: ["service-principal"],
        .path,
        default: .described("this or `client_secret_file`"),
        "PEM certificate (and key, when private_key_file is not given) that signs a client assertion"
    )
    /// `private_key_file`.
    public static let privateKeyFile = ConfigurationKey(
        "private_key_file",
        in: [.credential],
        kinds: ["service-principal"],
        .path,
        default: .described("`certificate_file`"),
        "PEM RSA private key, unencrypted, not readable by others"
    )
    /// `assertion_algorithm`.
    public static let assertionAlgorithm = ConfigurationKey(
        "assertion_algorithm",
        in: [.credential],
        kinds: ["service-principal"],
        .choice(CredentialConfiguration.AssertionAlgorithm.allCases.map(\.rawValue)),
        default: .string(CredentialConfiguration.AssertionAlgorithm.ps256.rawValue),
        "PS256 (x5t#S256) or RS256 (x5t, SHA-1; ADFS and older setups)"
    )
    /// `object_id`.
    public static let objectID = ConfigurationKey(
        "object_id",
        in: [.credential],
        kinds: ["managed-identity"],
        .string,
        default: .none,
        "the user-assigned managed identity by object id (one of client_id, object_id, resource_id)"
    )
    /// `resource_id`.
    public static let managedIdentityResourceID = ConfigurationKey(
        "resource_id",
        in: [.credential],
        kinds: ["managed-identity"],
        .string,
        default: .none,
        "the user-assigned managed identity by ARM resource id"
    )
    /// `token_file`.
    public static let tokenFile = ConfigurationKey(
        "token_file",
        in: [.credential],
        kinds: ["workload-identity"],
        .path,
        default: .described("`AZURE_FEDERATED_TOKEN_FILE`"),
        "the projected service account token, re-read for every token request"
    )

    // MARK: - [[resource]] and [defaults]

    /// `id`.
    public static let id = ConfigurationKey(
        "id",
        in: [.resource],
        .string,
        default: .required,
        "the ARM resource id, of any type in the README's table (/subscriptions/…/resourceGroups/…/providers/Microsoft.ServiceBus/namespaces/NS/authorizationRules/RULE …); it gives the type"
    )
    /// `name`.
    public static let name = ConfigurationKey(
        "name",
        in: [.resource],
        .string,
        default: .described("the ARM name; a child's names joined with '-' (`NS-queue-RULE`)"),
        "the resource's name in logs, state, status and the CLI"
    )
    /// `credential`.
    public static let credential = ConfigurationKey(
        "credential",
        in: [.defaults, .resource],
        .string,
        default: .described("the only one"),
        "which [credential.NAME] rotates it"
    )
    /// `api_version`.
    public static let apiVersion = ConfigurationKey(
        "api_version",
        in: [.resource],
        .string,
        default: .described("the type's stable version (README's table)"),
        "the ARM api-version of its calls"
    )
    /// `key_pair`.
    public static let keyPair = ConfigurationKey(
        "key_pair",
        in: [.resource],
        .choice(ResourceType.KeyPair.allCases.map(\.rawValue)),
        default: .string(ResourceType.KeyPair.readWrite.rawValue),
        "which pair of keys is rotated; read-only exists for App Configuration and Cosmos DB"
    )
    /// `endpoint`.
    public static let endpoint = ConfigurationKey(
        "endpoint",
        in: [.resource],
        .url,
        default: .described("from the resource or its connection string; the cloud's for Maps and AI Search"),
        "the data-plane endpoint for {{endpoint}} and verify, where the resource does not name it (Maps, AI Search behind a private endpoint)"
    )
    /// `strategy`.
    public static let strategy = ConfigurationKey(
        "strategy",
        in: [.defaults, .resource],
        .choice(["full", "alternate"]),
        default: .string("full"),
        "full: both keys new each rotation, the primary published; alternate: only the standby regenerated and published"
    )
    /// `every`.
    public static let every = ConfigurationKey(
        "every",
        in: [.defaults, .resource],
        .duration(nil),
        default: .duration(.seconds(30 * 86_400)),
        "the rotation period"
    )
    /// `grace`.
    public static let grace = ConfigurationKey(
        "grace",
        in: [.defaults, .resource],
        .duration(nil),
        default: .duration(.seconds(3600)),
        "how long consumers have to move to a published key before the key they leave is regenerated; shorter than every"
    )
    /// `jitter`.
    public static let jitter = ConfigurationKey(
        "jitter",
        in: [.defaults, .resource],
        .duration(nil),
        default: .duration(.zero),
        "a random delay added to each scheduled rotation so resources do not fire at once; shorter than every"
    )
    /// `output`.
    public static let output = ConfigurationKey(
        "output",
        in: [.resource],
        .string,
        default: .described("`NAME.conn` (`.key`, `.env`, `.json` by format, `.txt` with a template)"),
        "the secret file's name inside secrets_dir"
    )
    /// `format`.
    public static let format = ConfigurationKey(
        "format",
        in: [.defaults, .resource, .output],
        .choice(SecretFormat.allCases.map(\.rawValue)),
        default: .described("connection-string where the type has one, key otherwise"),
        "the file's layout: the connection string, the key, NAME=value (env) or JSON with endpoint, key, keyName, keyType and connectionString"
    )
    /// `env_name`.
    public static let envName = ConfigurationKey(
        "env_name",
        in: [.defaults, .resource, .output, .follow],
        .string,
        default: .described("by type: ACS_CONNECTION_STRING, AZURE_STORAGE_CONNECTION_STRING … (README's table)"),
        "the variable name of the env format"
    )
    /// `template`.
    public static let template = ConfigurationKey(
        "template",
        in: [.resource, .output, .follow],
        .string,
        default: .none,
        "instead of format: text with {{endpoint}}, {{key}}, {{keyName}}, {{connectionString}} (types that have one), {{keyType}}, {{rotatedAt}}; it must name {{key}} or {{connectionString}}"
    )
    /// `mode`.
    public static let mode = ConfigurationKey(
        "mode",
        in: [.defaults, .resource, .output, .follow],
        .mode,
        default: .mode(0o640),
        "the file's permission bits; world-readable or executable modes are refused"
    )
    /// `group`.
    public static let group = ConfigurationKey(
        "group",
        in: [.defaults, .resource, .output, .follow],
        .string,
        default: .described("the daemon's"),
        "the file's group, for consumers in other services"
    )
    /// `verify`.
    public static let verify = ConfigurationKey(
        "verify",
        in: [.defaults, .resource],
        .boolean,
        default: .boolean(false),
        "publish a new key only after it authenticates against the resource's data plane"
    )
    /// `window`.
    public static let window = ConfigurationKey(
        "window",
        in: [.defaults, .resource],
        .strings,
        default: .described("always"),
        "weekly windows in which regenerations may start, such as [\"Mon-Fri 09:00-17:00\", \"Sat 22:00-02:00\"] (days Mon…Sun, ranges, 24-hour times, a window may cross midnight); a due rotation waits for the next opening; emergencies and adoption ignore them"
    )
    /// `timezone`.
    public static let timezone = ConfigurationKey(
        "timezone",
        in: [.defaults, .resource],
        .string,
        default: .described("the host's (/etc/localtime)"),
        "the IANA time zone of window's times (Europe/Berlin), from the system's zoneinfo"
    )
    /// `confirm_ack_files`.
    public static let confirmAckFiles = ConfigurationKey(
        "confirm_ack_files",
        in: [.resource],
        .paths,
        default: .none,
        "files the consumers write the fingerprint of the key they loaded to; a key is regenerated only after they confirm the published one"
    )
    /// `confirm_command`.
    public static let confirmCommand = ConfigurationKey(
        "confirm_command",
        in: [.resource],
        .command,
        default: .none,
        "a program that exits 0 once the consumers run on KEYROTD_FINGERPRINT"
    )
    /// `confirm_timeout`.
    public static let confirmTimeout = ConfigurationKey(
        "confirm_timeout",
        in: [.resource],
        .duration(.seconds(1) ... .seconds(365 * 86_400)),
        default: .duration(.seconds(3600)),
        "how long consumers may take to confirm before the alarm; the key they may still use stays alive"
    )
    /// `confirm_followers`.
    public static let confirmFollowers = ConfigurationKey(
        "confirm_followers",
        in: [.resource],
        .strings,
        default: .none,
        "names of followers ([[follow]] on other hosts) that must confirm each published key on the resource's Key Vault outputs before the key they may still use is regenerated; grace may then be shorter than consumer_refresh"
    )
    /// `outputs`.
    public static let outputs = ConfigurationKey(
        "outputs",
        in: [.resource],
        .tables,
        default: .none,
        "further files of the same key, written in the same step: [[resource.outputs]] tables"
    )

    // MARK: - [[resource.outputs]]

    /// `file`.
    public static let file = ConfigurationKey(
        "file",
        in: [.output],
        .string,
        default: .described("required, unless key_vault is given"),
        "a further file the key is written to, inside secrets_dir; format, template, env_name, mode and group default to the resource's"
    )
    /// `key_vault`.
    public static let keyVault = ConfigurationKey(
        "key_vault",
        in: [.output],
        .url,
        default: .none,
        "instead of file: the vault (https://NAME.vault.azure.net, or the suffix of the credential's cloud) whose secret gets a new version for each published key; format, template and env_name default to the resource's"
    )
    /// `secret`.
    public static let secret = ConfigurationKey(
        "secret",
        in: [.output],
        .string,
        default: .described("required with key_vault"),
        "the Key Vault secret's name: letters, digits and '-', at most 127"
    )
    /// `content_type`.
    public static let contentType = ConfigurationKey(
        "content_type",
        in: [.output],
        .string,
        default: .none,
        "the content type of each version written to Key Vault"
    )
    /// `tags`.
    public static let tags = ConfigurationKey(
        "tags",
        in: [.output],
        .stringTable,
        default: .none,
        "tags of each version written to Key Vault, besides keyrotd's own (keyrotd-resource, keyrotd-key, keyrotd-fingerprint); at most 12"
    )
    /// `expires_after`.
    public static let expiresAfter = ConfigurationKey(
        "expires_after",
        in: [.output],
        .duration(nil),
        default: .none,
        "sets each Key Vault version's expiry this long after it is written (for a policy that secrets must expire); at least every + grace"
    )
    /// `consumer_refresh`.
    public static let consumerRefresh = ConfigurationKey(
        "consumer_refresh",
        in: [.output],
        .duration(nil),
        default: .duration(.seconds(86_400)),
        "how often the Key Vault secret's consumers read it again (App Service references: 24h, the AKS CSI driver: 2m); the resource's grace must be at least this, unless confirm_followers names its consumers"
    )

    // MARK: - [[follow]]

    /// `name` of a follower.
    public static let followName = ConfigurationKey(
        "name",
        in: [.follow],
        .string,
        default: .required,
        "the follower's name in its confirmation tag (keyrotd-confirmed-NAME), the leader's confirm_followers, state and status: letters, digits and '-', at most 64"
    )
    /// `credential` of a follower.
    public static let followCredential = ConfigurationKey(
        "credential",
        in: [.follow],
        .string,
        default: .described("the only one"),
        "which [credential.NAME] reads the secret; it needs only to read secrets and update their tags"
    )
    /// `key_vault` of a follower.
    public static let followKeyVault = ConfigurationKey(
        "key_vault",
        in: [.follow],
        .url,
        default: .required,
        "the vault the leader writes to (https://NAME.vault.azure.net, or the suffix of the credential's cloud)"
    )
    /// `secret` of a follower.
    public static let followSecret = ConfigurationKey(
        "secret",
        in: [.follow],
        .string,
        default: .required,
        "the Key Vault secret followed"
    )
    /// `file` of a follower.
    public static let followFile = ConfigurationKey(
        "file",
        in: [.follow],
        .string,
        default: .required,
        "the file the secret's latest version is written to, inside secrets_dir"
    )
    /// `format` of a follower.
    public static let followFormat = ConfigurationKey(
        "format",
        in: [.follow],
        .choice(SecretFormat.allCases.map(\.rawValue)),
        default: .described("the value as it is, and a line break"),
        "lays the value out anew, as a resource's format does; this (or template) needs the leader's output to have format = \"json\""
    )
    /// `interval`.
    public static let interval = ConfigurationKey(
        "interval",
        in: [.follow],
        .duration(.seconds(1) ... .seconds(86_400)),
        default: .duration(.seconds(30)),
        "how often the vault is asked for a new version (with up to 10 % jitter)"
    )
    /// `confirm`.
    public static let confirm = ConfigurationKey(
        "confirm",
        in: [.follow],
        .boolean,
        default: .boolean(true),
        "tag each delivered version keyrotd-confirmed-NAME = its fingerprint once the file is durable and the hooks succeeded, for the leader's confirm_followers"
    )

    /// Every key, in the order the documentation lists them.
    public static let keys: [ConfigurationKey] = [
        secretsDir, stateDir, concurrency, tlsCAFile, retryInitial, retryMax, requestTimeout, logLevel, armWriteBurst, armWritesPerSecond,
        runtimeDir, metricsFile, onPublish, hookTimeout,
        credentialKind, cloud, authority, armEndpoint, scope, tenant, clientID, clientSecretFile, certificateFile, privateKeyFile,
        assertionAlgorithm, objectID, managedIdentityResourceID, tokenFile,
        id, name, credential, apiVersion, keyPair, endpoint, strategy, every, grace, jitter, output, format, envName, template, mode, group, verify,
        window, timezone, confirmAckFiles, confirmCommand, confirmTimeout, confirmFollowers, outputs, file, keyVault, secret, contentType, tags,
        expiresAfter, consumerRefresh,
        followName, followCredential, followKeyVault, followSecret, followFile, followFormat, interval, confirm,
    ]

    /// The names `table` allows, computed once: the loader asks for every table of the file.
    public static let names: [ConfigurationKey.Table: Set<String>] = Dictionary(
        uniqueKeysWithValues: ConfigurationKey.Table.allCases.map { table in (table, Set(keys(in: table).map(\.name))) }
    )

    /// The keys `table` allows; for `[credential.NAME]`, those of identity `kind` (every kind's when `nil`).
    public static func keys(in table: ConfigurationKey.Table, credentialKind kind: String? = nil) -> [ConfigurationKey] {
        keys.filter { key in
            key.tables.contains(table) && (kind == nil || key.credentialKinds.isEmpty || key.credentialKinds.contains(kind!))
        }
    }
}
