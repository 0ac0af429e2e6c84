import FoundationEssentials
import KeyRotation

extension ConfigurationSchema {
    /// `id`.
    public static let id = ConfigurationKey(
        "id",
        in: [.resource],
        ResourceID.self,
        .string,
        default: .required,
        "the ARM resource id, of any type in the types table (docs/configuration.md) (/subscriptions/…/resourceGroups/…/providers/Microsoft.ServiceBus/namespaces/NS/authorizationRules/RULE …); it gives the type"
    )
    /// `name`.
    public static let name = ConfigurationKey(
        "name",
        in: [.resource, .application],
        String.self,
        .string,
        default: .described("the ARM name; a child's names joined with '-' (`NS-queue-RULE`)"),
        "the resource's name in logs, state, status and the CLI"
    )
    /// `credential`.
    public static let credential = ConfigurationKey(
        "credential",
        in: [.defaults, .resource, .application],
        CredentialName.self,
        .string,
        default: .described("the only one"),
        "which [credential.NAME] rotates it"
    )
    /// `api_version`.
    public static let apiVersion = ConfigurationKey(
        "api_version",
        in: [.resource],
        APIVersion.self,
        .string,
        default: .described("the type's stable version (the types table)"),
        "the ARM api-version of its calls"
    )
    /// `key_pair`.
    public static let keyPair = ConfigurationKey(
        "key_pair",
        in: [.resource],
        ResourceType.KeyPair.self,
        .choice(ResourceType.KeyPair.self),
        default: .string(ResourceType.KeyPair.readWrite.rawValue),
        "which pair of keys is rotated; read-only exists for App Configuration and Cosmos DB"
    )
    /// `endpoint`.
    public static let endpoint = ConfigurationKey(
        "endpoint",
        in: [.resource],
        URL.self,
        .url,
        default: .described("from the resource or its connection string; the cloud's for Maps and AI Search"),
        "the data-plane endpoint for {{endpoint}} and verify, where the resource does not name it (Maps, AI Search behind a private endpoint)"
    )
    /// `strategy`.
    public static let strategy = ConfigurationKey(
        "strategy",
        in: [.defaults, .resource],
        RotationStrategy.self,
        .choice(RotationStrategy.self),
        default: .string(ResourceConfiguration.Defaults.strategy.rawValue),
        "full: both keys new each rotation, the primary published; alternate: only the standby regenerated and published"
    )
    /// `every`.
    public static let every = ConfigurationKey(
        "every",
        in: [.defaults, .resource, .application],
        Duration.self,
        .duration(nil),
        default: .duration(ResourceConfiguration.Defaults.every),
        "the rotation period"
    )
    /// `grace`.
    public static let grace = ConfigurationKey(
        "grace",
        in: [.defaults, .resource, .application],
        Duration.self,
        .duration(nil),
        default: .duration(ResourceConfiguration.Defaults.grace),
        "how long consumers have to move to a published key before the key they leave is regenerated; shorter than every"
    )
    /// `jitter`.
    public static let jitter = ConfigurationKey(
        "jitter",
        in: [.defaults, .resource, .application],
        Duration.self,
        .duration(nil),
        default: .duration(ResourceConfiguration.Defaults.jitter),
        "a random delay added to each scheduled rotation so resources do not fire at once; shorter than every"
    )
    /// `output`.
    public static let output = ConfigurationKey(
        "output",
        in: [.resource, .application],
        OutputFileName.self,
        .string,
        default: .described("`NAME.conn` (`.key`, `.env`, `.json` by format, `.txt` with a template)"),
        "the secret file's name inside secrets_dir"
    )
    /// `format`.
    public static let format = ConfigurationKey(
        "format",
        in: [.defaults, .resource, .application, .output],
        SecretFormat.self,
        .choice(SecretFormat.self),
        default: .described("connection-string where the type has one, key otherwise"),
        "the file's layout: the connection string, the key, NAME=value (env) or JSON with endpoint, key, keyName, keyType and connectionString"
    )
    /// `env_name`.
    public static let envName = ConfigurationKey(
        "env_name",
        in: [.defaults, .resource, .application, .output, .follow],
        EnvironmentName.self,
        .string,
        default: .described("by type: ACS_CONNECTION_STRING, AZURE_STORAGE_CONNECTION_STRING … (the types table)"),
        "the variable name of the env format"
    )
    /// `template`.
    public static let template = ConfigurationKey(
        "template",
        in: [.resource, .application, .output, .follow],
        SecretTemplate.self,
        .string,
        default: .none,
        "instead of format: text with {{endpoint}}, {{key}}, {{keyName}}, {{connectionString}} (types that have one), {{keyType}}, {{rotatedAt}}; it must name {{key}} or {{connectionString}}"
    )
    /// `mode`.
    public static let mode = ConfigurationKey(
        "mode",
        in: [.defaults, .resource, .application, .output, .follow],
        only: [SecretOutput.fileVariant],
        FileMode.self,
        .mode,
        default: .mode(ResourceConfiguration.Defaults.mode),
        "the file's permission bits; world-readable or executable modes are refused"
    )
    /// `group`.
    public static let group = ConfigurationKey(
        "group",
        in: [.defaults, .resource, .application, .output, .follow],
        only: [SecretOutput.fileVariant],
        GroupName.self,
        .string,
        default: .described("the daemon's"),
        "the file's group, for consumers in other services"
    )
    /// `verify`.
    public static let verify = ConfigurationKey(
        "verify",
        in: [.defaults, .resource],
        Bool.self,
        .boolean,
        default: .boolean(ResourceConfiguration.Defaults.verify),
        "publish a new key only after it authenticates against the resource's data plane"
    )
    /// `window`.
    public static let window = ConfigurationKey(
        "window",
        in: [.defaults, .resource, .application],
        WindowEntries.self,
        .strings,
        default: .described("always"),
        "weekly windows in which regenerations may start, such as [\"Mon-Fri 09:00-17:00\", \"Sat 22:00-02:00\"] (days Mon…Sun, ranges, 24-hour times, a window may cross midnight); a due rotation waits for the next opening; emergencies and adoption ignore them"
    )
    /// `timezone`.
    public static let timezone = ConfigurationKey(
        "timezone",
        in: [.defaults, .resource, .application],
        TimeZoneRules.self,
        .string,
        default: .described("the host's (/etc/localtime)"),
        "the IANA time zone of window's times (Europe/Berlin), from the system's zoneinfo"
    )
    /// `confirm_ack_files`.
    public static let confirmAckFiles = ConfigurationKey(
        "confirm_ack_files",
        in: [.resource, .application],
        PathList.self,
        .paths,
        default: .none,
        "files the consumers write the fingerprint of the key they loaded to; a key is regenerated only after they confirm the published one"
    )
    /// `confirm_command`.
    public static let confirmCommand = ConfigurationKey(
        "confirm_command",
        in: [.resource, .application],
        HookArguments.self,
        .command,
        default: .none,
        "a program that exits 0 once the consumers run on KEYROTD_FINGERPRINT"
    )
    /// `confirm_timeout`.
    public static let confirmTimeout = ConfigurationKey(
        "confirm_timeout",
        in: [.resource, .application],
        Duration.self,
        .duration(.seconds(1) ... .seconds(365 * 86_400)),
        default: .duration(ResourceConfiguration.Defaults.confirmTimeout),
        "how long consumers may take to confirm before the alarm; the key they may still use stays alive"
    )
    /// `confirm_followers`.
    public static let confirmFollowers = ConfigurationKey(
        "confirm_followers",
        in: [.resource, .application],
        FollowerNames.self,
        .strings,
        default: .none,
        "names of followers ([[follow]] on other hosts) that must confirm each published key on the resource's Key Vault outputs before the key they may still use is regenerated; grace may then be shorter than consumer_refresh"
    )
    /// `outputs`.
    public static let outputs = ConfigurationKey(
        "outputs",
        in: [.resource, .application],
        nil,
        .tables,
        default: .none,
        "further files of the same key, written in the same step: [[resource.outputs]] tables"
    )

    /// The keys of `[[resource]]` and `[defaults]`, in the documentation's order.
    static let resourceKeys = [
        id, name, credential, apiVersion, keyPair, endpoint, strategy, every, grace, jitter, output, format, envName, template, mode, group, verify,
        window, timezone, confirmAckFiles, confirmCommand, confirmTimeout, confirmFollowers, outputs,
    ]
}

/// A `[[resource]]` as read, with the key paths of its further outputs, which the checks across
/// the file name in their messages.
struct ReadResource {
    /// The resource.
    var resource: ResourceConfiguration
    /// Where it is (`resource[2]`).
    var keyPath: String
    /// `additionalOutputs[i]`'s table (file and Key Vault outputs share one array of tables, so a
    /// list's index is not the table's).
    var fileKeyPaths: [String]
    /// `keyVaultOutputs[i]`'s table.
    var vaultKeyPaths: [String]
}

extension ResourceConfiguration {
    /// Reads `[defaults]`: every value checked once, then inherited by each `[[resource]]`.
    static func readDefaults(_ reader: TableReader?) -> TableReader? {
        guard var t = reader else { return nil }
        t.readAll()
        if let entries = t.values[ConfigurationSchema.window.name] as? WindowEntries {
            _ = windows(entries, zone: t.values[ConfigurationSchema.timezone.name] as? TimeZoneRules, &t)
        }
        t.finish()
        return t
    }

    /// Reads one `[[resource]]`, inheriting from `defaults`; nil when it cannot be built.
    static func read(_ t: inout TableReader, defaults: TableReader?) -> ReadResource? {
        typealias Key = ConfigurationSchema
        t.inherit(from: defaults)
        defer { t.finish() }
        let document = t.document
        let isApplication = t.kind == .application
        let id = isApplication ? nil : t.required(Key.id, as: ResourceID.self)
        var name = isApplication ? t.required(Key.name, as: String.self) : t.read(Key.name, as: String.self) ?? id?.defaultName
        if let n = name, !ResourceID.isValidName(n) {
            document.error(
                t.path(t.contains(Key.name) || isApplication ? Key.name : Key.id),
                "'\(n)' must be 1-63 letters, digits, '-' or '_' (it names files and log fields)" + (t.contains(Key.name) ? "" : ": set name = …")
            )
            name = nil
        }
        let credential = CredentialName.read(&t, Key.credential, nameIt: "name one here or in [defaults]")
        let strategy = isApplication ? .alternate : t.read(Key.strategy, as: RotationStrategy.self) ?? Defaults.strategy
        let every = t.read(Key.every, as: Duration.self) ?? Defaults.every
        let grace = t.read(Key.grace, as: Duration.self) ?? Defaults.grace
        let jitter = t.read(Key.jitter, as: Duration.self) ?? Defaults.jitter
        let application = isApplication ? ApplicationTarget.read(&t, every: every, grace: grace, credential: credential) : nil
        if let application, application.rotate, application.tenant == nil, let credential, let known = document.credentials[credential],
            known.tenant == nil
        {
            t.error("credential \(credential) names no tenant: set tenant = \"…\" (the application's directory, where its new secrets are proved)")
        }
        let target: RotationTarget? = application.map { .application($0) } ?? id.map { .arm($0) }
        let format = t.read(Key.format, as: SecretFormat.self) ?? target.map(ResourceConfiguration.defaultFormat) ?? .key
        let envName = t.read(Key.envName, as: EnvironmentName.self)?.name
        var mode = t.read(Key.mode, as: FileMode.self)?.bits ?? Defaults.mode
        let group = t.read(Key.group, as: GroupName.self)?.name
        let apiVersion = isApplication ? nil : t.read(Key.apiVersion, as: APIVersion.self)?.version
        let keyPair = isApplication ? .readWrite : t.read(Key.keyPair, as: ResourceType.KeyPair.self) ?? .readWrite
        let endpoint = isApplication ? nil : t.read(Key.endpoint, as: URL.self)
        if every <= .zero {
            t.error(Key.every, "must be longer than zero")
        }
        if grace >= every {
            t.error(
                t.contains(Key.grace) || !t.contains(Key.every) ? Key.grace : Key.every,
                "grace (\(DurationFormat.format(grace))) must be shorter than every (\(DurationFormat.format(every))): consumers need time on the new key before the next rotation"
            )
        }
        if jitter >= every, every > .zero {
            let message = "jitter (\(DurationFormat.format(jitter))) must be shorter than every (\(DurationFormat.format(every)))"
            if t.contains(Key.jitter) { t.error(Key.jitter, message) } else { t.error(message) }
        }
        let template = SecretOutput.readTemplate(&t)
        var output: String?
        if t.contains(Key.output) {
            output = t.read(Key.output, as: OutputFileName.self)?.name
        } else if let name {
            do throws(ValueProblem) {
                output = try OutputFileName(name + (template == nil ? format.defaultExtension : ".txt")).name
            } catch {
                t.error(Key.output, error.message)
            }
        }
        if application?.certificate == true, template != nil || !(format == .key || format == .json) {
            t.error(
                t.contains(Key.template) ? Key.template : Key.format,
                "a certificate is published as PEM text, which only format = \"key\" (the PEM alone) or \"json\" carry"
            )
        }
        if let own = application?.ownCredential {
            // keyrotd's own secret goes to its credentials directory only, for keyrotd alone.
            for key in [Key.output, Key.format, Key.template, Key.envName, Key.group, Key.mode, Key.outputs] where t.contains(key) {
                t.error(key, "own_secret writes credentials_dir/\(own).secret (mode 0600) and nothing else")
            }
            output = own + ".secret"
            mode = 0o600
        }
        let origin = "\(isApplication ? "application" : "resource") \(name ?? t.keyPath)"
        let onPublish = HookCommand.read(&t, origin: origin)
        let confirmCommand = t.read(Key.confirmCommand, as: HookArguments.self).map { HookCommand(argv: $0.argv, origin: origin) }
        let confirmAckFiles = t.read(Key.confirmAckFiles, as: PathList.self)?.paths ?? []
        let confirmTimeout = t.read(Key.confirmTimeout, as: Duration.self)
        let confirmFollowers = t.read(Key.confirmFollowers, as: FollowerNames.self)?.names ?? []
        let verify = isApplication ? false : t.read(Key.verify, as: Bool.self) ?? Defaults.verify
        var windows: MaintenanceWindows?
        if let entries = t.read(Key.window, as: WindowEntries.self) {
            let zone = t.read(Key.timezone, as: TimeZoneRules.self)
            if t.contains(Key.window) || t.contains(Key.timezone) {
                windows = Self.windows(entries, zone: zone, &t)
            } else {
                // [defaults]' own, checked (and reported) there.
                windows = try? MaintenanceWindows(parsing: entries.entries, zone: zone ?? document.fileSystem.hostTimeZone)
            }
        } else {
            _ = t.read(Key.timezone, as: TimeZoneRules.self)
        }
        t.accept(Key.outputs.name)
        guard let target, let name, let credential, let output else { return nil }
        var resource = ResourceConfiguration(
            name: name,
            target: target,
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
        resource.keyPair = keyPair
        resource.endpoint = endpoint
        resource.windows = windows?.windows.isEmpty == false ? windows : nil
        resource.template = template
        resource.confirmFollowers = confirmFollowers
        resource.confirmAckFiles = confirmAckFiles
        resource.confirmCommand = confirmCommand
        if let confirmTimeout { resource.confirmTimeout = confirmTimeout }
        var read = ReadResource(resource: resource, keyPath: t.keyPath, fileKeyPaths: [], vaultKeyPaths: [])
        readOutputs(&t, into: &read)
        checkType(read, &t)
        return read
    }

    /// The `[[resource.outputs]]`: further files and Key Vault secrets, each inheriting the
    /// resource's layout.
    private static func readOutputs(_ t: inout TableReader, into read: inout ReadResource) {
        let cloud = t.document.credentials[read.resource.credential]?.cloud
        let tables = t.tables(
            ConfigurationSchema.outputs.name,
            as: .output,
            notArray: "must be an array of tables: write [[resource.outputs]] with file = … (or key_vault = …) and format or template",
            notTable: "must be a table with file = … (or key_vault = …) and format or template"
        )
        for var o in tables {
            if o.contains(ConfigurationSchema.keyVault) {
                if let vault = KeyVaultOutput.read(&o, resource: read.resource, cloud: cloud) {
                    read.resource.keyVaultOutputs.append(vault)
                    read.vaultKeyPaths.append(o.keyPath)
                }
            } else if let file = SecretOutput.read(&o, resource: read.resource) {
                read.resource.additionalOutputs.append(file)
                read.fileKeyPaths.append(o.keyPath)
            }
        }
        if !read.resource.confirmFollowers.isEmpty, !tables.contains(where: { $0.contains(ConfigurationSchema.keyVault) }) {
            t.error(
                ConfigurationSchema.confirmFollowers,
                "followers confirm on Key Vault versions: add a [[resource.outputs]] with key_vault = … that they follow"
            )
        }
    }

    /// What the resource's type does not have: a read-only pair, a connection string for a format
    /// or a template to carry.
    private static func checkType(_ read: ReadResource, _ t: inout TableReader) {
        let resource = read.resource
        guard let type = resource.armID?.type else { return }
        if type.pairs[resource.keyPair] == nil {
            let pairs = type.pairs.keys.map(\.rawValue).sorted().joined(separator: ", ")
            t.error(ConfigurationSchema.keyPair, "\(type.title) has no \(resource.keyPair) key pair; it has \(pairs)")
        }
        guard case .none = type.connectionString else { return }
        for (i, output) in resource.outputs.enumerated() {
            let prefix = i == 0 ? read.keyPath : read.fileKeyPaths[i - 1]
            if let template = output.template, template.fields.contains(.connectionString) {
                t.document.error("\(prefix).template", "\(type.title) has no connection string: use {{key}} and {{endpoint}}")
            } else if output.template == nil, output.format == .connectionString {
                t.document.error(
                    "\(prefix).format",
                    "\(type.title) has no connection string: use format = \"key\", \"env\" or \"json\", or a template"
                )
            }
        }
    }

    /// The windows of `entries` in `zone` (the host's when `nil`), or an error at the table's `window`.
    private static func windows(_ entries: WindowEntries, zone: TimeZoneRules?, _ t: inout TableReader) -> MaintenanceWindows? {
        do {
            return try MaintenanceWindows(parsing: entries.entries, zone: zone ?? t.document.fileSystem.hostTimeZone)
        } catch {
            t.error(ConfigurationSchema.window, error.description)
            return nil
        }
    }
}
