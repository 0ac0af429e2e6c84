import FoundationEssentials
import Glibc
import SystemPackage

/// The defaults a `[[resource]]` inherits from `[defaults]`.
private struct ResourceDefaults {
    var credential: String?
    var strategy = ResourceConfiguration.Defaults.strategy
    var every = ResourceConfiguration.Defaults.every
    var grace = ResourceConfiguration.Defaults.grace
    var jitter = ResourceConfiguration.Defaults.jitter
    var format: SecretFormat?
    var envName: String?
    var mode = ResourceConfiguration.Defaults.mode
    var group: String?
    var verify = ResourceConfiguration.Defaults.verify
    var window: [String]?
    var timezone: TimeZoneRules?
}

/// Walks the parsed document, converting values and recording issues with their lines.
///
/// Which keys a table allows, their types, ranges and choices, and their defaults come from the
/// declarations in ``ConfigurationSchema``; the lines come from the positions the parser recorded.
struct ValidationContext {
    /// The configuration file.
    let path: String
    /// The parsed document, whose recorded positions give every issue its line.
    private let root: TOMLTable
    /// The environment for `${VAR}` expansion.
    let environment: [String: String]
    /// What keyrotd.service hands over, where `CREDENTIALS_DIRECTORY` is not set.
    let serviceCredentials: Result<ServiceCredentials, ServiceCredentials.Unavailable>?
    private(set) var issues: [ConfigurationIssue] = []
    /// Each resource's further outputs as written, by the resource's key path: `files[i]` is
    /// `additionalOutputs[i]`'s table, `vaults[i]` `keyVaultOutputs[i]`'s (file and Key Vault
    /// outputs share one array of tables, so a list's index is not the table's).
    private var outputKeys: [String: (files: [String], vaults: [String])] = [:]

    /// Creates a context for the document `root`, read from `path`.
    init(
        path: String,
        root: TOMLTable,
        environment: [String: String],
        serviceCredentials: Result<ServiceCredentials, ServiceCredentials.Unavailable>?
    ) {
        self.path = path
        self.root = root
        self.environment = environment
        self.serviceCredentials = serviceCredentials
    }

    private var baseDirectory: String {
        let directory = FilePath(path).removingLastComponent().string
        return directory.isEmpty ? FileManager.default.currentDirectoryPath : directory
    }

    mutating func error(_ key: String, _ message: String) {
        issues.append(ConfigurationIssue(file: path, line: line(of: key), key: key, message: message))
    }

    mutating func warning(_ key: String, _ message: String) {
        issues.append(ConfigurationIssue(file: path, line: line(of: key), key: key, message: message, severity: .warning))
    }

    /// The line of a key path (`daemon.concurrency`, `resource[2].outputs[0].file`) from the positions
    /// the parser recorded; for a key that is not written (a required one), the line of the nearest
    /// enclosing key or table that is; 0 for the file as a whole.
    func line(of keyPath: String) -> Int {
        var table = root
        var line = 0
        var rest = Substring(keyPath)
        while !rest.isEmpty {
            // A quoted key may hold dots (`[credential."a.b"]`): take the longest prefix the table has.
            var end = rest.firstIndex { $0 == "." || $0 == "[" } ?? rest.endIndex
            while table[String(rest[..<end])] == nil, end < rest.endIndex,
                let next = rest[rest.index(after: end)...].firstIndex(where: { $0 == "." || $0 == "[" })
            {
                end = next
            }
            let key = String(rest[..<end])
            guard var value = table[key] else { return line }
            line = table.position(of: key)?.line ?? line
            rest = rest[end...]
            while rest.first == "[", let close = rest.firstIndex(of: "]") {
                guard let index = Int(rest[rest.index(after: rest.startIndex)..<close]), let elements = value.array, index < elements.count else {
                    return line
                }
                value = elements[index]
                line = value.table?.position?.line ?? line
                rest = rest[rest.index(after: close)...]
            }
            guard let next = value.table else { return line }
            table = next
            if rest.first == "." { rest = rest.dropFirst() }
        }
        return line
    }

    // MARK: - Document

    mutating func build() -> Configuration? {
        rejectUnknownKeys(root, prefix: "", allowed: ["daemon", "credential", "defaults", "resource", "follow"])
        let daemon = readDaemon(table(root, "daemon"))
        var credentials: [String: CredentialConfiguration] = [:]
        if let credentialTables = table(root, "credential") {
            for name in credentialTables.keys.sorted() {
                guard let t = credentialTables[name]?.table else {
                    error("credential.\(name)", "must be a table ([credential.\(name)])")
                    continue
                }
                if let credential = readCredential(t, name: name) { credentials[name] = credential }
            }
        }
        let defaults = readDefaults(table(root, "defaults"), credentials: credentials)
        var resources: [(key: String, resource: ResourceConfiguration)] = []
        if let value = root["resource"] {
            if let array = value.array {
                for i in 0..<array.count {
                    guard let t = array[i].table else {
                        error("resource[\(i)]", "must be a table; write [[resource]]")
                        continue
                    }
                    if let resource = readResource(t, key: "resource[\(i)]", defaults: defaults, credentials: credentials) {
                        resources.append((key: "resource[\(i)]", resource: resource))
                    }
                }
            } else {
                error("resource", "must be an array of tables; write each as [[resource]]")
            }
        }
        var follows: [(key: String, follow: FollowConfiguration)] = []
        if let value = root["follow"] {
            if let array = value.array {
                for i in 0..<array.count {
                    guard let t = array[i].table else {
                        error("follow[\(i)]", "must be a table; write [[follow]]")
                        continue
                    }
                    if let follow = readFollow(t, key: "follow[\(i)]", credentials: credentials) {
                        follows.append((key: "follow[\(i)]", follow: follow))
                    }
                }
            } else {
                error("follow", "must be an array of tables; write each as [[follow]]")
            }
        }
        if root["resource"] == nil, root["follow"] == nil {
            warning("", "no [[resource]] or [[follow]] entries: keyrotd will run but rotate and follow nothing")
        }
        checkUniqueness(resources, follows)
        guard let daemon else { return nil }
        return Configuration(
            sourcePath: path,
            daemon: daemon,
            credentials: credentials,
            resources: resources.map(\.resource),
            follows: follows.map(\.follow)
        )
    }

    private mutating func checkUniqueness(
        _ resources: [(key: String, resource: ResourceConfiguration)],
        _ follows: [(key: String, follow: FollowConfiguration)]
    ) {
        // Where each value was first seen, as a key path: resolved to a line only for an error.
        var names: [String: String] = [:]
        var outputs: [String: String] = [:]
        var vaultSecrets: [String: String] = [:]
        var ids: [String: String] = [:]
        for (key, resource) in resources {
            if let first = names[resource.name.lowercased()] {
                error("\(key).name", "duplicate resource name '\(resource.name)' (also used at line \(line(of: first)))")
            } else {
                names[resource.name.lowercased()] = "\(key).name"
            }
            let paths = outputKeys[key] ?? ([], [])
            for (i, output) in resource.outputs.enumerated() {
                let where_ = i == 0 ? "\(key).output" : "\(paths.files[i - 1]).file"
                if let first = outputs[output.file] {
                    error(where_, "output '\(output.file)' is already written by the resource at line \(line(of: first))")
                } else {
                    outputs[output.file] = i == 0 ? key : where_
                }
            }
            for (i, output) in resource.keyVaultOutputs.enumerated() {
                let secret = output.vault.absoluteString.lowercased() + "|" + output.secret.lowercased()
                if let first = vaultSecrets[secret] {
                    error(
                        "\(paths.vaults[i]).secret",
                        "\(output.description) is already written by the resource at line \(line(of: first)): two resources would overwrite each other's key"
                    )
                } else {
                    vaultSecrets[secret] = "\(paths.vaults[i]).secret"
                }
            }
            let id = resource.id.path.lowercased()
            if let first = ids[id] {
                error(
                    "\(key).id",
                    "resource id is already configured at line \(line(of: first)): two rotations of one resource would regenerate each other's published key"
                )
            } else {
                ids[id] = key
            }
        }
        var followers: [String: String] = [:]
        for (key, follow) in follows {
            if let first = followers[follow.name.lowercased()] {
                error(
                    "\(key).name",
                    "duplicate follower name '\(follow.name)' (also used at line \(line(of: first))): the leader could not tell their confirmations apart"
                )
            } else {
                followers[follow.name.lowercased()] = "\(key).name"
            }
            if let first = outputs[follow.output.file] {
                error("\(key).file", "'\(follow.output.file)' is already written by the entry at line \(line(of: first))")
            } else {
                outputs[follow.output.file] = "\(key).file"
            }
        }
    }

    // MARK: - Tables

    private mutating func readDaemon(_ t: TOMLTable?) -> DaemonSettings? {
        let key = "daemon"
        if let t { rejectUnknownKeys(t, prefix: key, allowed: ConfigurationSchema.names[.daemon]!) }
        let secrets = path(t, key, ConfigurationSchema.secretsDir) ?? ConfigurationSchema.secretsDir.defaultString
        let state = path(t, key, ConfigurationSchema.stateDir) ?? ConfigurationSchema.stateDir.defaultString
        var settings = DaemonSettings(secretsDirectory: secrets, stateDirectory: state)
        if let concurrency = int(t, key, ConfigurationSchema.concurrency) { settings.concurrency = concurrency }
        if let ca = path(t, key, ConfigurationSchema.tlsCAFile) {
            settings.tlsCAFile = ca
            if !FileManager.default.isReadableFile(atPath: ca) {
                error("\(key).tls_ca_file", "cannot read '\(ca)': give a readable PEM file of CA certificates")
            }
        }
        if let d = duration(t, key, ConfigurationSchema.retryInitial) { settings.retryInitial = d }
        if let d = duration(t, key, ConfigurationSchema.retryMax) { settings.retryMax = d }
        if let d = duration(t, key, ConfigurationSchema.requestTimeout) { settings.requestTimeout = d }
        if let burst = int(t, key, ConfigurationSchema.armWriteBurst) { settings.armWriteBurst = burst }
        if let rate = number(t, key, ConfigurationSchema.armWritesPerSecond) { settings.armWritesPerSecond = rate }
        if let runtime = path(t, key, ConfigurationSchema.runtimeDir) { settings.runtimeDirectory = runtime }
        if let metrics = path(t, key, ConfigurationSchema.metricsFile) {
            settings.metricsFile = metrics
            // node_exporter's textfile collector reads only *.prom files of its directory.
            let name = FilePath(metrics).lastComponent?.string ?? ""
            if !name.hasSuffix(".prom") || name == ".prom" {
                error("\(key).metrics_file", "'\(metrics)' does not end in NAME.prom: node_exporter's textfile collector reads only *.prom files")
            }
        }
        settings.onPublish = command(t, key, "on_publish", timeout: ConfigurationSchema.hookTimeout, origin: "[daemon]")
        if settings.retryMax < settings.retryInitial {
            error("\(key).retry_max", "must not be shorter than retry_initial")
        }
        if let level = choice(t, key, ConfigurationSchema.logLevel) { settings.logLevel = level }
        return settings
    }

    private mutating func readCredential(_ t: TOMLTable, name: String) -> CredentialConfiguration? {
        let key = "credential.\(name)"
        if t["client_secret"] != nil {
            error("\(key).client_secret", "secrets never go in the configuration file; put it in a file and name it with client_secret_file")
        }
        // The secret itself gets the message above, not "unknown key".
        rejectUnknownKeys(t, prefix: key, allowed: ConfigurationSchema.names[.credential]!.union(["client_secret"]))
        guard
            let kindName = choice(t, key, ConfigurationSchema.credentialKind)
                ?? (t["kind"] == nil ? ConfigurationSchema.credentialKind.defaultString : nil)
        else { return nil }
        let kindKeys = Set(ConfigurationSchema.keys(in: .credential, credentialKind: kindName).map(\.name))
        for misplaced in t.keys.sorted() where !kindKeys.contains(misplaced) {
            guard let declaration = ConfigurationSchema.keys(in: .credential).first(where: { $0.name == misplaced }) else { continue }
            let owners = declaration.credentialKinds.sorted().map { "'\($0)'" }.joined(separator: " or ")
            error("\(key).\(misplaced)", "applies only to kind = \(owners), not '\(kindName)'")
        }
        let cloud = choice(t, key, ConfigurationSchema.cloud).flatMap(AzureCloud.init(rawValue:)) ?? .azureCloud
        let authority = url(t, key, "authority")
        let arm = url(t, key, "arm_endpoint")
        var scope = string(t, key, "scope")
        if scope?.isEmpty ?? false { scope = nil }
        if scope == nil, let arm {
            var base = arm.absoluteString
            while base.hasSuffix("/") { base.removeLast() }
            scope = base + "/.default"
        }
        var tenant = string(t, key, "tenant")
        if let value = tenant, value.isEmpty || value.contains("/") {
            error("\(key).tenant", "must be a tenant id or domain without '/'")
            tenant = nil
        }
        let clientID = string(t, key, "client_id")

        let kind: CredentialConfiguration.Kind
        switch kindName {
        case "service-principal":
            _ = required(tenant, t, key, "tenant")
            _ = required(clientID, t, key, "client_id")
            let secretFile = path(t, key, "client_secret_file")
            let certificateFile = path(t, key, "certificate_file")
            let algorithmName = choice(t, key, ConfigurationSchema.assertionAlgorithm)
            switch (secretFile, certificateFile) {
            case (let secretFile?, nil):
                if t["assertion_algorithm"] != nil { error("\(key).assertion_algorithm", "applies only with certificate_file") }
                if t["private_key_file"] != nil { error("\(key).private_key_file", "applies only with certificate_file") }
                checkSecretFile(secretFile, key: "\(key).client_secret_file")
                kind = .clientSecret(file: secretFile)
            case (nil, let certificateFile?):
                let keyFile = path(t, key, "private_key_file") ?? certificateFile
                let algorithm = CredentialConfiguration.AssertionAlgorithm(
                    rawValue: algorithmName ?? ConfigurationSchema.assertionAlgorithm.defaultString
                )!
                if keyFile != certificateFile { checkReadable(certificateFile, key: "\(key).certificate_file") }
                checkSecretFile(keyFile, key: "\(key).\(keyFile == certificateFile ? "certificate_file" : "private_key_file")")
                kind = .clientCertificate(certificateFile: certificateFile, privateKeyFile: keyFile, algorithm: algorithm)
            case (nil, nil):
                if t["client_secret_file"] == nil && t["certificate_file"] == nil {
                    error(key, "a service principal needs client_secret_file or certificate_file")
                }
                return nil
            case (_?, _?):
                error("\(key).certificate_file", "give either client_secret_file or certificate_file, not both")
                return nil
            }
        case "managed-identity":
            let chosen: [CredentialConfiguration.UserAssignedIdentity] = [
                clientID.map { .clientID($0) }, string(t, key, "object_id").map { .objectID($0) },
                string(t, key, "resource_id").map { .resourceID($0) },
            ].compactMap { $0 }
            if chosen.count > 1 { error(key, "name a user-assigned identity by one of client_id, object_id or resource_id, not several") }
            kind = .managedIdentity(chosen.first)
        case "workload-identity":
            let tokenFile = path(t, key, "token_file")
            if let tokenFile, !tokenFile.contains("${") { checkReadable(tokenFile, key: "\(key).token_file") }
            kind = .workloadIdentity(tokenFile: tokenFile)
        default:
            kind = .auto
        }
        guard !issues.contains(where: { $0.severity == .error && ($0.key == key || $0.key.hasPrefix(key + ".")) }) else { return nil }
        return CredentialConfiguration(
            name: name,
            tenant: tenant,
            clientID: kindName == "managed-identity" ? nil : clientID,
            kind: kind,
            cloud: cloud,
            authorityHost: authority,
            armEndpoint: arm,
            scope: scope
        )
    }

    private mutating func checkReadable(_ file: String, key: String) {
        guard let file = onDisk(file, key: key) else { return }
        if access(file, R_OK) != 0 { error(key, "'\(file)' does not exist or is not readable by this user") }
    }

    private mutating func checkSecretFile(_ file: String, key: String) {
        guard let file = onDisk(file, key: key) else { return }
        var info = stat()
        guard lstat(file, &info) == 0 else {
            error(key, "'\(file)' does not exist: create it, mode 0600")
            return
        }
        if (info.st_mode & S_IFMT) == S_IFLNK, stat(file, &info) != 0 {
            error(key, "'\(file)' is a dangling symbolic link")
            return
        }
        if (info.st_mode & S_IFMT) != S_IFREG {
            error(key, "'\(file)' is not a regular file")
        } else if info.st_mode & 0o004 != 0 {
            error(key, "'\(file)' is readable by others (mode \(ConfigurationKey.octal(UInt32(info.st_mode) & 0o7777))): run chmod 0600")
        } else if access(file, R_OK) != 0 {
            error(key, "'\(file)' is not readable by this user")
        }
    }

    /// The file to check on this host for a credential file, or nil when there is none to check.
    ///
    /// `${CREDENTIALS_DIRECTORY}/ID` is, for the service, what its `LoadCredential=ID` hands over:
    /// where that variable is not set (`check` in a shell), that source is checked instead. Where it
    /// is set (the service itself) and the file is missing, systemd skipped a credential it did not
    /// find; the daemon names it (`credential-missing`) rather than refuse to start.
    private mutating func onDisk(_ file: String, key: String) -> String? {
        if let directory = environment["CREDENTIALS_DIRECTORY"], file.hasPrefix(directory + "/"), access(file, F_OK) != 0 {
            return nil
        }
        guard file.contains("${") else { return file }
        guard let id = ServiceCredentials.id(of: file, in: "${CREDENTIALS_DIRECTORY}") else {
            warning(key, "cannot check '\(file)': an environment variable in it is not set here")
            return nil
        }
        let handOver: ServiceCredentials
        switch serviceCredentials {
        case .success(let read): handOver = read
        case .failure(let reason):
            warning(
                key,
                "cannot check '\(file)': CREDENTIALS_DIRECTORY is not set here and keyrotd.service's LoadCredential= could not be read: \(reason)"
            )
            return nil
        case nil:
            warning(key, "cannot check '\(file)': CREDENTIALS_DIRECTORY is not set here (keyrotd check reads what keyrotd.service hands over)")
            return nil
        }
        let unit = handOver.unit
        switch handOver.source(of: id) {
        case .notLoaded:
            error(key, "\(unit) hands over no credential '\(id)': add LoadCredential=\(id) (systemctl edit \(unit)), or name another file")
            return nil
        case .missing(let paths):
            let looked = paths.count == 1 ? "'\(paths[0])' does not exist" : "none of \(paths.joined(separator: ", ")) exists"
            error(key, "\(unit) cannot load credential '\(id)': \(looked); put it in \(paths[0]) (root, mode 0600)")
            return nil
        case .found(let source):
            // A directory or a socket is a valid source too; only a file has a mode worth checking.
            var info = stat()
            return stat(source, &info) == 0 && (info.st_mode & S_IFMT) == S_IFREG ? source : nil
        }
    }

    private mutating func readDefaults(_ t: TOMLTable?, credentials: [String: CredentialConfiguration]) -> ResourceDefaults {
        var defaults = ResourceDefaults()
        if credentials.count == 1 { defaults.credential = credentials.keys.first }
        guard let t else { return defaults }
        let key = "defaults"
        rejectUnknownKeys(t, prefix: key, allowed: ConfigurationSchema.names[.defaults]!)
        if let c = credentialName(t, key, credentials) { defaults.credential = c }
        if let s = strategy(t, key) { defaults.strategy = s }
        if let d = duration(t, key, ConfigurationSchema.every) { defaults.every = d }
        if let d = duration(t, key, ConfigurationSchema.grace) { defaults.grace = d }
        if let d = duration(t, key, ConfigurationSchema.jitter) { defaults.jitter = d }
        if let f = format(t, key) { defaults.format = f }
        if let e = envName(t, key) { defaults.envName = e }
        if let m = mode(t, key) { defaults.mode = m }
        if let g = group(t, key) { defaults.group = g }
        if let v = bool(t, key, "verify") { defaults.verify = v }
        if let w = windowEntries(t, key) { defaults.window = w }
        if let z = timezone(t, key) { defaults.timezone = z }
        if let entries = defaults.window { _ = windows(entries, zone: defaults.timezone, key: "\(key).window") }
        return defaults
    }

    private mutating func readResource(
        _ t: TOMLTable,
        key: String,
        defaults: ResourceDefaults,
        credentials: [String: CredentialConfiguration]
    ) -> ResourceConfiguration? {
        rejectUnknownKeys(t, prefix: key, allowed: ConfigurationSchema.names[.resource]!)
        var id: ResourceID?
        if let text = required(string(t, key, "id"), t, key, "id") {
            switch ResourceID.parse(text) {
            case .success(let parsed): id = parsed
            case .failure(let problem): error("\(key).id", problem.description)
            }
        }
        var name = string(t, key, "name") ?? id?.defaultName
        if let n = name, !ResourceID.isValidName(n) {
            error(
                t["name"] != nil ? "\(key).name" : "\(key).id",
                "'\(n)' must be 1-63 letters, digits, '-' or '_' (it names files and log fields)"
                    + (t["name"] == nil ? ": set name = …" : "")
            )
            name = nil
        }
        let credential = credential(t, key, credentials, fallback: defaults.credential, nameIt: "name one here or in [defaults]")
        let strategy = strategy(t, key) ?? defaults.strategy
        let every = duration(t, key, ConfigurationSchema.every) ?? defaults.every
        let grace = duration(t, key, ConfigurationSchema.grace) ?? defaults.grace
        let jitter = duration(t, key, ConfigurationSchema.jitter) ?? defaults.jitter
        let format = format(t, key) ?? defaults.format ?? id?.type.defaultFormat ?? .key
        let envName = envName(t, key) ?? defaults.envName
        let mode = mode(t, key) ?? defaults.mode
        let group = group(t, key) ?? defaults.group
        let apiVersion = apiVersion(t, key)
        let keyPair = choice(t, key, ConfigurationSchema.keyPair).flatMap(ResourceType.KeyPair.init(rawValue:)) ?? .readWrite
        let endpoint = url(t, key, "endpoint")
        if every <= .zero {
            error("\(key).every", "must be longer than zero")
        }
        if grace >= every {
            let where_ = t["grace"] != nil ? "\(key).grace" : (t["every"] != nil ? "\(key).every" : "\(key).grace")
            error(
                where_,
                "grace (\(DurationFormat.format(grace))) must be shorter than every (\(DurationFormat.format(every))): consumers need time on the new key before the next rotation"
            )
        }
        if jitter >= every, every > .zero {
            error(
                t["jitter"] != nil ? "\(key).jitter" : "\(key)",
                "jitter (\(DurationFormat.format(jitter))) must be shorter than every (\(DurationFormat.format(every)))"
            )
        }
        let template = template(t, key)
        var output = string(t, key, "output") ?? (name.map { $0 + (template == nil ? format.defaultExtension : ".txt") })
        if let o = output, let problem = Self.outputProblem(o) {
            error("\(key).output", problem)
            output = nil
        }
        let onPublish = command(t, key, "on_publish", timeout: ConfigurationSchema.hookTimeout, origin: "resource \(name ?? key)")
        let confirmCommand = command(t, key, "confirm_command", timeout: nil, origin: "resource \(name ?? key)")
        var confirmAckFiles: [String] = []
        if let value = t["confirm_ack_files"] {
            if let array = value.array, array.allSatisfy({ $0.string != nil }) {
                confirmAckFiles = array.compactMap { expandPath($0.string!, key: "\(key).confirm_ack_files") }
            } else {
                error("\(key).confirm_ack_files", "must be an array of file paths")
            }
        }
        let confirmTimeout = duration(t, key, ConfigurationSchema.confirmTimeout)
        let confirmFollowers = followerNames(t, key)
        let verify = bool(t, key, "verify") ?? defaults.verify
        let windowEntries = windowEntries(t, key) ?? defaults.window
        let zone = timezone(t, key) ?? defaults.timezone
        var windows: MaintenanceWindows?
        if let entries = windowEntries {
            if t["window"] != nil || t["timezone"] != nil {
                windows = self.windows(entries, zone: zone, key: "\(key).window")
            } else {
                // [defaults]' own, checked (and reported) there.
                windows = try? MaintenanceWindows(parsing: entries, zone: zone ?? Self.hostZone)
            }
        }
        guard let id, let name, let credential, let output else { return nil }
        var resource = ResourceConfiguration(
            name: name,
            id: id,
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
        (resource.additionalOutputs, resource.keyVaultOutputs) = outputs(t, key, resource: resource, cloud: credentials[credential]?.cloud)
        // A Key Vault output with errors of its own is reported there.
        let vaultTables = (t["outputs"]?.array ?? []).contains { $0.table?["key_vault"] != nil }
        if !confirmFollowers.isEmpty, !vaultTables {
            error(
                "\(key).confirm_followers",
                "followers confirm on Key Vault versions: add a [[resource.outputs]] with key_vault = … that they follow"
            )
        }
        checkType(t, key, resource)
        resource.confirmAckFiles = confirmAckFiles
        resource.confirmCommand = confirmCommand
        if let confirmTimeout { resource.confirmTimeout = confirmTimeout }
        return resource
    }

    /// What the resource's type does not have: a read-only pair, a connection string for a format
    /// or a template to carry.
    private mutating func checkType(_ t: TOMLTable, _ key: String, _ resource: ResourceConfiguration) {
        let type = resource.id.type
        if type.pairs[resource.keyPair] == nil {
            let pairs = type.pairs.keys.map(\.rawValue).sorted().joined(separator: ", ")
            error("\(key).key_pair", "\(type.title) has no \(resource.keyPair) key pair; it has \(pairs)")
        }
        guard case .none = type.connectionString else { return }
        let paths = outputKeys[key]?.files ?? []
        for (i, output) in resource.outputs.enumerated() {
            let prefix = i == 0 ? key : paths[i - 1]
            if let template = output.template, template.fields.contains(.connectionString) {
                error("\(prefix).template", "\(type.title) has no connection string: use {{key}} and {{endpoint}}")
            } else if output.template == nil, output.format == .connectionString {
                error("\(prefix).format", "\(type.title) has no connection string: use format = \"key\", \"env\" or \"json\", or a template")
            }
        }
    }

    /// The host's time zone (`/etc/localtime`), UTC when it has none.
    static let hostZone: TimeZoneRules = (try? TimeZoneRules(file: "/etc/localtime", name: "the host's zone")) ?? .utc

    /// `window`: an array of strings.
    private mutating func windowEntries(_ t: TOMLTable, _ prefix: String) -> [String]? {
        guard let value = t["window"] else { return nil }
        guard let array = value.array, array.allSatisfy({ $0.string != nil }) else {
            error("\(prefix).window", "must be an array of strings such as [\"Mon-Fri 09:00-17:00\"]")
            return nil
        }
        return array.compactMap(\.string)
    }

    /// `timezone`: an IANA name found in the system's zoneinfo.
    private mutating func timezone(_ t: TOMLTable, _ prefix: String) -> TimeZoneRules? {
        guard let name = string(t, prefix, "timezone") else { return nil }
        do {
            return try TimeZoneRules(named: name)
        } catch {
            self.error("\(prefix).timezone", error.description)
            return nil
        }
    }

    /// The windows of `entries` in `zone` (the host's when `nil`), or an error at `key`.
    private mutating func windows(_ entries: [String], zone: TimeZoneRules?, key: String) -> MaintenanceWindows? {
        do {
            return try MaintenanceWindows(parsing: entries, zone: zone ?? Self.hostZone)
        } catch {
            self.error(key, error.description)
            return nil
        }
    }

    /// `template`, parsed; refused next to `format`.
    private mutating func template(_ t: TOMLTable, _ prefix: String) -> SecretTemplate? {
        guard let text = string(t, prefix, "template") else { return nil }
        if t["format"] != nil {
            error("\(prefix).template", "give format or template, not both")
            return nil
        }
        do {
            return try SecretTemplate(parsing: text)
        } catch {
            self.error("\(prefix).template", error.description)
            return nil
        }
    }

    /// `[[resource.outputs]]`: further files and Key Vault secrets, each inheriting the resource's
    /// layout settings.
    private mutating func outputs(_ t: TOMLTable, _ prefix: String, resource: ResourceConfiguration, cloud: AzureCloud?)
        -> (files: [SecretOutput], vaults: [KeyVaultOutput])
    {
        guard let value = t["outputs"] else { return ([], []) }
        guard let array = value.array else {
            error(
                "\(prefix).outputs",
                "must be an array of tables: write [[resource.outputs]] with file = … (or key_vault = …) and format or template"
            )
            return ([], [])
        }
        var files: [SecretOutput] = []
        var vaults: [KeyVaultOutput] = []
        var fileKeys: [String] = []
        var vaultKeys: [String] = []
        for i in 0..<array.count {
            let key = "\(prefix).outputs[\(i)]"
            guard let o = array[i].table else {
                error(key, "must be a table with file = … (or key_vault = …) and format or template")
                continue
            }
            rejectUnknownKeys(o, prefix: key, allowed: ConfigurationSchema.names[.output]!)
            if o["key_vault"] != nil {
                if let vault = keyVaultOutput(o, key, resource: resource, cloud: cloud) {
                    vaults.append(vault)
                    vaultKeys.append(key)
                }
                continue
            }
            for misplaced in ["secret", "content_type", "tags", "expires_after", "consumer_refresh"] where o[misplaced] != nil {
                error("\(key).\(misplaced)", "applies only to a Key Vault output (key_vault = …)")
            }
            guard let file = required(string(o, key, "file"), o, key, "file") else { continue }
            if let problem = Self.outputProblem(file) {
                error("\(key).file", problem)
                continue
            }
            files.append(
                SecretOutput(
                    file: file,
                    format: format(o, key) ?? resource.format,
                    template: template(o, key),
                    envName: envName(o, key) ?? resource.envName,
                    mode: mode(o, key) ?? resource.mode,
                    group: group(o, key) ?? resource.group
                )
            )
            fileKeys.append(key)
        }
        outputKeys[prefix] = (fileKeys, vaultKeys)
        return (files, vaults)
    }

    /// One `[[resource.outputs]]` with `key_vault`: the vault of the credential's cloud (or a
    /// loopback emulator), a valid secret name, an expiry that outlives a rotation, and a grace that
    /// outlasts the consumers' refresh.
    private mutating func keyVaultOutput(_ o: TOMLTable, _ key: String, resource: ResourceConfiguration, cloud: AzureCloud?) -> KeyVaultOutput? {
        for misplaced in ["file", "mode", "group"] where o[misplaced] != nil {
            error("\(key).\(misplaced)", "a Key Vault output has no \(misplaced); give file or key_vault, not both")
        }
        let vault = vaultURL(o, key, cloud: cloud)
        let secret = required(string(o, key, "secret"), o, key, "secret")
        if let name = secret, !KeyVaultOutput.isValidSecretName(name) {
            error("\(key).secret", "'\(name)' is not a Key Vault secret name: 1-127 letters, digits and '-'")
        }
        var tags: [String: String] = [:]
        if let value = o["tags"] {
            if let table = value.table, table.keys.allSatisfy({ table[$0]?.string != nil }) {
                for name in table.keys { tags[name] = table[name]?.string }
                let allowed = KeyVaultOutput.maximumOperatorTags - resource.confirmFollowers.count
                if tags.count > allowed {
                    error(
                        "\(key).tags",
                        "at most \(allowed) tags (Key Vault allows 15; keyrotd sets 3"
                            + (resource.confirmFollowers.isEmpty ? ")" : " and each of confirm_followers one)")
                    )
                }
                if let own = tags.keys.sorted().first(where: { $0.hasPrefix("keyrotd-") }) {
                    error("\(key).tags", "'\(own)': tags starting with keyrotd- are keyrotd's own")
                }
            } else {
                error("\(key).tags", "must be a table of strings, such as { team = \"payments\" }")
            }
        }
        let expiresAfter = duration(o, key, ConfigurationSchema.expiresAfter)
        if let expiresAfter, expiresAfter < resource.every + resource.grace {
            error(
                "\(key).expires_after",
                "\(DurationFormat.format(expiresAfter)) is shorter than every + grace (\(DurationFormat.format(resource.every + resource.grace))): versions would expire while consumers still read them"
            )
        }
        let consumerRefresh = duration(o, key, ConfigurationSchema.consumerRefresh) ?? ConfigurationSchema.consumerRefresh.defaultDuration
        // Followers that confirm are the consumers: the key is kept until they have the new one.
        if resource.grace < consumerRefresh, resource.confirmFollowers.isEmpty {
            error(
                o["consumer_refresh"] != nil ? "\(key).consumer_refresh" : "\(key).key_vault",
                "the resource's grace (\(DurationFormat.format(resource.grace))) is shorter than consumer_refresh (\(DurationFormat.format(consumerRefresh))): consumers of the vault would still hold the key it regenerates. Raise grace, say so with consumer_refresh if the consumers refresh faster, or have followers confirm (confirm_followers)"
            )
        }
        let contentType = string(o, key, "content_type")
        let layoutFormat = format(o, key) ?? resource.format
        let layoutTemplate = template(o, key)
        let layoutEnvName = envName(o, key) ?? resource.envName
        guard let vault, let secret, KeyVaultOutput.isValidSecretName(secret) else { return nil }
        let layout = SecretOutput(
            file: "\(secret) in \(vault.absoluteString)",
            format: layoutFormat,
            template: layoutTemplate,
            envName: layoutEnvName,
            mode: 0o600,
            group: nil
        )
        return KeyVaultOutput(
            vault: vault,
            secret: secret,
            layout: layout,
            contentType: contentType,
            tags: tags,
            expiresAfter: expiresAfter,
            consumerRefresh: consumerRefresh
        )
    }

    /// `key_vault`: the URL of a vault of the credential's cloud (or of a loopback emulator), without a path.
    private mutating func vaultURL(_ t: TOMLTable, _ key: String, cloud: AzureCloud?) -> URL? {
        guard let url = url(t, key, "key_vault"), let host = url.host?.lowercased() else { return nil }
        let suffix = (cloud ?? .azureCloud).keyVaultHostSuffix
        if !(url.path.isEmpty || url.path == "/") || url.query != nil {
            error("\(key).key_vault", "'\(url.absoluteString)' must be the vault's URL alone, https://NAME\(suffix), without a path")
            return nil
        }
        if !host.hasSuffix(suffix), !EndpointPolicy.isLoopback(host: host) {
            error("\(key).key_vault", "'\(host)' is not a vault of \((cloud ?? .azureCloud).rawValue): its host must end in \(suffix)")
            return nil
        }
        return url
    }

    /// `confirm_followers`: follower names, each once.
    private mutating func followerNames(_ t: TOMLTable, _ key: String) -> [String] {
        guard let value = t["confirm_followers"] else { return [] }
        guard let array = value.array, array.allSatisfy({ $0.string != nil }) else {
            error("\(key).confirm_followers", "must be an array of follower names, such as [\"web-1\", \"web-2\"]")
            return []
        }
        var names: [String] = []
        for name in array.compactMap(\.string) {
            if !FollowConfiguration.isValidName(name) {
                error("\(key).confirm_followers", "'\(name)' is not a follower name: 1-64 letters, digits and '-'")
            } else if names.contains(where: { $0.lowercased() == name.lowercased() }) {
                error("\(key).confirm_followers", "'\(name)' is named twice")
            } else {
                names.append(name)
            }
        }
        return names
    }

    /// One `[[follow]]`: a vault of the credential's cloud, a secret name, a file inside the
    /// secrets directory, and a layout.
    private mutating func readFollow(_ t: TOMLTable, key: String, credentials: [String: CredentialConfiguration]) -> FollowConfiguration? {
        rejectUnknownKeys(t, prefix: key, allowed: ConfigurationSchema.names[.follow]!)
        var name = required(string(t, key, "name"), t, key, "name")
        if let n = name, !FollowConfiguration.isValidName(n) {
            error("\(key).name", "'\(n)' must be 1-64 letters, digits and '-' (it becomes the tag keyrotd-confirmed-\(n))")
            name = nil
        }
        let credential = credential(t, key, credentials, fallback: credentials.count == 1 ? credentials.keys.first : nil, nameIt: "name one")
        let vault = required(vaultURL(t, key, cloud: credential.flatMap { credentials[$0]?.cloud }), t, key, "key_vault")
        var secret = required(string(t, key, "secret"), t, key, "secret")
        if let s = secret, !KeyVaultOutput.isValidSecretName(s) {
            error("\(key).secret", "'\(s)' is not a Key Vault secret name: 1-127 letters, digits and '-'")
            secret = nil
        }
        var file = required(string(t, key, "file"), t, key, "file")
        if let f = file, let problem = Self.outputProblem(f) {
            error("\(key).file", problem)
            file = nil
        }
        let format = format(t, key)
        let template = template(t, key)
        let output = file.map {
            SecretOutput(
                file: $0,
                format: format ?? .json,
                template: template,
                envName: envName(t, key) ?? "KEYROTD_SECRET",
                mode: mode(t, key) ?? ConfigurationSchema.mode.defaultMode,
                group: group(t, key)
            )
        }
        if format != .env, t["env_name"] != nil {
            warning("\(key).env_name", "has no effect without format = \"env\"")
        } else if format == .env, t["env_name"] == nil {
            error("\(key).format", "format = \"env\" needs env_name here: a follower does not know the resource's type")
        }
        let onPublish = command(t, key, "on_publish", timeout: ConfigurationSchema.hookTimeout, origin: "follower \(name ?? key)")
        let interval = duration(t, key, ConfigurationSchema.interval) ?? ConfigurationSchema.interval.defaultDuration
        let confirm = bool(t, key, "confirm") ?? ConfigurationSchema.confirm.defaultBoolean
        guard let name, let credential, let vault, let secret, let output else { return nil }
        return FollowConfiguration(
            name: name,
            credential: credential,
            vault: vault,
            secret: secret,
            output: output,
            verbatim: format == nil && template == nil,
            onPublish: onPublish,
            interval: interval,
            confirm: confirm
        )
    }

    /// A command (an argv array) under `name`, with its timeout under the `timeoutKey` declaration, both checked.
    private mutating func command(_ t: TOMLTable?, _ prefix: String, _ name: String, timeout timeoutKey: ConfigurationKey?, origin: String)
        -> HookCommand?
    {
        let timeout = timeoutKey.flatMap { duration(t, prefix, $0) }
        guard let value = t?[name] else {
            if timeout != nil, let timeoutKey { warning("\(prefix).\(timeoutKey.name)", "has no effect without \(name)") }
            return nil
        }
        let key = "\(prefix).\(name)"
        guard let array = value.array, !array.isEmpty else {
            error(
                key,
                "must be a non-empty array: the program's absolute path, then its arguments, e.g. [\"/usr/bin/systemctl\", \"reload\", \"app.service\"]"
            )
            return nil
        }
        var argv: [String] = []
        for element in array {
            guard let text = element.string, !text.contains("\0") else {
                error(key, "every element must be a string (no shell is involved: give each argument separately)")
                return nil
            }
            argv.append(text)
        }
        let program = argv[0]
        guard program.hasPrefix("/") else {
            error(key, "'\(program)' is not an absolute path: hooks run without a shell and without a PATH search")
            return nil
        }
        var info = stat()
        if stat(program, &info) != 0 || (info.st_mode & S_IFMT) != S_IFREG || access(program, X_OK) != 0 {
            error(key, "'\(program)' is not an executable file")
            return nil
        }
        return HookCommand(argv: argv, timeout: timeout ?? HookCommand.defaultTimeout, origin: origin)
    }

    /// Why `output` is not a safe file name inside the secrets directory, or `nil`.
    static func outputProblem(_ output: String) -> String? {
        if output.isEmpty { return "must not be empty" }
        if output.hasPrefix("/") || output.contains("/") || output == "." || output == ".." {
            return "'\(output)' escapes the secrets directory: give a plain file name, it is written inside secrets_dir"
        }
        if output.hasPrefix(".") { return "'\(output)' must not start with '.' (temporary files do)" }
        if output.utf8.count > 200 { return "file name is too long" }
        if output.contains("\0") { return "must not contain NUL" }
        return nil
    }

    // MARK: - Values

    private mutating func rejectUnknownKeys(_ t: TOMLTable, prefix: String, allowed: Set<String>) {
        for key in t.keys.sorted() where !allowed.contains(key) {
            let full = prefix.isEmpty ? key : "\(prefix).\(key)"
            let close = allowed.sorted().first { Self.editDistance($0, key) <= 2 }
            error(
                full,
                "unknown key '\(key)'" + (close.map { "; did you mean '\($0)'?" } ?? "; allowed here: \(allowed.sorted().joined(separator: ", "))")
            )
        }
    }

    private func table(_ t: TOMLTable, _ name: String) -> TOMLTable? { t[name]?.table }

    private mutating func required<T>(_ value: T?, _ t: TOMLTable, _ prefix: String, _ name: String) -> T? {
        if value == nil, t[name] == nil { error("\(prefix).\(name)", "is required") }
        return value
    }

    private mutating func string(_ t: TOMLTable?, _ prefix: String, _ name: String) -> String? {
        guard let t, let value = t[name] else { return nil }
        guard let s = value.string else {
            error("\(prefix).\(name)", "must be a string, not \(value.type)")
            return nil
        }
        return s
    }

    private mutating func bool(_ t: TOMLTable?, _ prefix: String, _ name: String) -> Bool? {
        guard let t, let value = t[name] else { return nil }
        guard let b = value.bool else {
            error("\(prefix).\(name)", "must be true or false, not \(value.type)")
            return nil
        }
        return b
    }

    /// An integer key, in its declared range.
    private mutating func int(_ t: TOMLTable?, _ prefix: String, _ key: ConfigurationKey) -> Int? {
        guard let t, let value = t[key.name] else { return nil }
        guard let i = value.int else {
            error("\(prefix).\(key.name)", "must be an integer, not \(value.type)")
            return nil
        }
        if case .integer(let range) = key.kind, !range.contains(i) {
            error("\(prefix).\(key.name)", "must be between \(range.lowerBound) and \(range.upperBound) (got \(i))")
            return nil
        }
        return i
    }

    /// A number key (integer or float), in its declared range.
    private mutating func number(_ t: TOMLTable?, _ prefix: String, _ key: ConfigurationKey) -> Double? {
        guard let t, let value = t[key.name] else { return nil }
        guard let number = value.double ?? value.int.map(Double.init) else {
            error("\(prefix).\(key.name)", "must be a number, not \(value.type)")
            return nil
        }
        if case .number(let range) = key.kind, !range.contains(number) {
            error("\(prefix).\(key.name)", "must be a number from \(range.lowerBound) to \(range.upperBound) (got \(number))")
            return nil
        }
        return number
    }

    /// One of a key's declared words; a different case is accepted (`ps256`), a near miss suggested.
    private mutating func choice(_ t: TOMLTable?, _ prefix: String, _ key: ConfigurationKey) -> String? {
        guard let text = string(t, prefix, key.name), case .choice(let words) = key.kind else { return nil }
        if let word = words.first(where: { $0 == text }) ?? words.first(where: { $0.lowercased() == text.lowercased() }) { return word }
        let suggestion = words.first { Self.editDistance($0.lowercased(), text.lowercased()) <= 2 }.map { "; did you mean '\($0)'?" } ?? ""
        let list = words.dropLast().joined(separator: ", ") + (words.count > 1 ? " or " : "") + (words.last ?? "")
        error("\(prefix).\(key.name)", "unknown \(key.name) '\(text)'; use \(list)\(suggestion)")
        return nil
    }

    private mutating func path(_ t: TOMLTable?, _ prefix: String, _ name: String) -> String? {
        guard let raw = string(t, prefix, name) else { return nil }
        return expandPath(raw, key: "\(prefix).\(name)")
    }

    private mutating func path(_ t: TOMLTable?, _ prefix: String, _ key: ConfigurationKey) -> String? {
        path(t, prefix, key.name)
    }

    /// `raw` with `${VAR}`s expanded, relative to the configuration file's directory.
    private mutating func expandPath(_ raw: String, key: String) -> String? {
        if raw.isEmpty {
            error(key, "must not be empty")
            return nil
        }
        var expanded = ""
        var rest = Substring(raw)
        while let start = rest.firstRange(of: "${") {
            expanded += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else {
                error(key, "unterminated ${ in '\(raw)'")
                return nil
            }
            let variable = String(rest[start.upperBound..<end])
            if let value = environment[variable], !value.isEmpty {
                expanded += value
            } else {
                expanded += "${\(variable)}"
            }
            rest = rest[rest.index(after: end)...]
        }
        expanded += rest
        if !expanded.hasPrefix("/") && !expanded.hasPrefix("${") {
            expanded = FilePath(baseDirectory).appending(expanded).string
        }
        return FilePath(expanded).lexicallyNormalized().string
    }

    /// A duration key, in its declared range.
    private mutating func duration(_ t: TOMLTable?, _ prefix: String, _ key: ConfigurationKey) -> Duration? {
        guard let text = string(t, prefix, key.name) else { return nil }
        guard let d = DurationFormat.parse(text) else {
            error("\(prefix).\(key.name)", "'\(text)' is not a duration; write a number and a unit: 30d, 12h, 15m, 90s or 500ms")
            return nil
        }
        if case .duration(let range?) = key.kind, !range.contains(d) {
            error(
                "\(prefix).\(key.name)",
                "must be between \(DurationFormat.format(range.lowerBound)) and \(DurationFormat.format(range.upperBound)) (got \(text))"
            )
            return nil
        }
        return d
    }

    private mutating func url(_ t: TOMLTable?, _ prefix: String, _ name: String) -> URL? {
        guard let text = string(t, prefix, name) else { return nil }
        guard let url = URL(string: text), let scheme = url.scheme?.lowercased(), let host = url.host, !host.isEmpty else {
            error("\(prefix).\(name)", "'\(text)' is not an absolute URL")
            return nil
        }
        if scheme == "http" {
            if !EndpointPolicy.isLoopback(host: host) {
                error("\(prefix).\(name)", "plain http is allowed only to a loopback address (an emulator); use https")
                return nil
            }
        } else if scheme != "https" {
            error("\(prefix).\(name)", "scheme must be https")
            return nil
        }
        return url
    }

    /// `credential`, else `fallback` (the only credential, or `[defaults]`'); an error when the table
    /// names none and there is no fallback, saying where to `nameIt`.
    private mutating func credential(
        _ t: TOMLTable,
        _ key: String,
        _ credentials: [String: CredentialConfiguration],
        fallback: String?,
        nameIt: String
    ) -> String? {
        let credential = credentialName(t, key, credentials) ?? fallback
        if credential == nil, t["credential"] == nil {
            error("\(key).credential", credentials.isEmpty ? "no credential: add a [credential.NAME] table" : "several credentials exist; \(nameIt)")
        }
        return credential
    }

    private mutating func credentialName(_ t: TOMLTable, _ prefix: String, _ credentials: [String: CredentialConfiguration]) -> String? {
        guard let name = string(t, prefix, "credential") else { return nil }
        guard credentials[name] != nil else {
            error(
                "\(prefix).credential",
                "no [credential.\(name)] table" + (credentials.isEmpty ? "" : "; defined: \(credentials.keys.sorted().joined(separator: ", "))")
            )
            return nil
        }
        return name
    }

    private mutating func apiVersion(_ t: TOMLTable, _ prefix: String) -> String? {
        guard let v = string(t, prefix, "api_version") else { return nil }
        let parts = v.split(separator: "-", maxSplits: 3)
        let ok =
            parts.count >= 3 && parts[0].count == 4 && parts[1].count == 2
            && parts[2].prefix(2).allSatisfy(\.isNumber) && (parts.count == 3 || parts[3] == "preview")
        guard ok else {
            error("\(prefix).api_version", "'\(v)' is not an api-version (YYYY-MM-DD or YYYY-MM-DD-preview)")
            return nil
        }
        return v
    }

    private mutating func strategy(_ t: TOMLTable, _ prefix: String) -> RotationStrategy? {
        choice(t, prefix, ConfigurationSchema.strategy).flatMap(RotationStrategy.init(rawValue:))
    }

    private mutating func format(_ t: TOMLTable, _ prefix: String) -> SecretFormat? {
        choice(t, prefix, ConfigurationSchema.format).flatMap(SecretFormat.init(rawValue:))
    }

    private mutating func envName(_ t: TOMLTable, _ prefix: String) -> String? {
        guard let s = string(t, prefix, "env_name") else { return nil }
        let valid =
            !s.isEmpty && !(s.first!.isNumber)
            && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
        guard valid else {
            error("\(prefix).env_name", "'\(s)' is not a valid environment variable name")
            return nil
        }
        return s
    }

    private mutating func mode(_ t: TOMLTable, _ prefix: String) -> UInt32? {
        guard let value = t["mode"] else { return nil }
        var mode: UInt32?
        if let s = value.string {
            mode = UInt32(s.hasPrefix("0o") ? String(s.dropFirst(2)) : s, radix: 8)
        } else if let i = value.int, i >= 0 {
            mode = UInt32(i)
        }
        guard let m = mode, m <= 0o777 else {
            error("\(prefix).mode", "must be octal permission bits such as \"0640\" or 0o640")
            return nil
        }
        if m & 0o007 != 0 {
            error("\(prefix).mode", "\(ConfigurationKey.octal(m)) lets every user read the key; use 0600 or 0640 with a readers group")
            return nil
        }
        if m & 0o400 == 0 {
            error("\(prefix).mode", "\(ConfigurationKey.octal(m)) does not let the owner read the file; use 0600 or 0640")
            return nil
        }
        if m & 0o111 != 0 {
            error("\(prefix).mode", "\(ConfigurationKey.octal(m)) makes a secret executable; use 0600 or 0640")
            return nil
        }
        return m
    }

    private mutating func group(_ t: TOMLTable, _ prefix: String) -> String? {
        guard let g = string(t, prefix, "group") else { return nil }
        if getgrnam(g) == nil {
            error("\(prefix).group", "group '\(g)' does not exist on this machine")
            return nil
        }
        return g
    }

    /// Levenshtein distance, for "did you mean" suggestions.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a), b = Array(b)
        var previous = Array(0...b.count)
        for i in 1...max(a.count, 1) where !a.isEmpty {
            var current = [i] + Array(repeating: 0, count: b.count)
            for j in 1...max(b.count, 1) where !b.isEmpty {
                current[j] = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
            }
            previous = current
        }
        return previous[b.count]
    }
}
