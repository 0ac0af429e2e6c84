import FoundationEssentials
import KeyRotation
import SystemPackage

/// Reads and validates a keyrotd TOML configuration, collecting every problem with file, line and key.
///
/// Relative paths in the file are resolved against the file's directory, and `${VAR}` in paths is
/// replaced from the environment (`${CREDENTIALS_DIRECTORY}` is set by systemd's `LoadCredential=`).
public struct ConfigurationLoader: Sendable {
    /// The environment used for `${VAR}` expansion.
    public var environment: [String: String]
    /// What keyrotd.service hands over, for checking `${CREDENTIALS_DIRECTORY}/…` files where that
    /// variable is not set (`check` in a shell), or why it could not be read; nil where nobody asked.
    public var serviceCredentials: Result<ServiceCredentials, ServiceCredentials.Unavailable>?
    /// The host's files, groups and zones that paths, modes, groups and zones are checked against.
    public var fileSystem: any ConfigurationFileSystem

    /// Creates a loader reading `${VAR}` values from `environment`.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceCredentials: Result<ServiceCredentials, ServiceCredentials.Unavailable>? = nil,
        fileSystem: any ConfigurationFileSystem = HostFileSystem()
    ) {
        self.environment = environment
        self.serviceCredentials = serviceCredentials
        self.fileSystem = fileSystem
    }

    /// Loads the file at `path`.
    ///
    /// - Returns: the configuration and any warnings.
    /// - Throws: ``ConfigurationError`` with every issue when at least one is an error.
    public func load(path: String) throws(ConfigurationError) -> (Configuration, [ConfigurationIssue]) {
        func unreadable(_ reason: String) -> ConfigurationError {
            ConfigurationError(issues: [ConfigurationIssue(file: path, line: 0, key: "", message: "cannot read the file: \(reason)")])
        }
        let bytes: [UInt8]
        do {
            let file = try FileDescriptor.open(path, .readOnly, options: .closeOnExec)
            defer { try? file.close() }
            bytes = try file.read(upTo: Self.maximumSize + 1)
        } catch {
            throw unreadable(String(describing: error))
        }
        guard bytes.count <= Self.maximumSize else { throw unreadable("it is larger than \(Self.maximumSize >> 20) MiB") }
        return try load(bytes: bytes, path: path)
    }

    /// Parses and validates `source` as if read from `path`.
    public func load(source: String, path: String) throws(ConfigurationError) -> (Configuration, [ConfigurationIssue]) {
        try load(bytes: Array(source.utf8), path: path)
    }

    private func load(bytes: [UInt8], path: String) throws(ConfigurationError) -> (Configuration, [ConfigurationIssue]) {
        let root: TOMLTable
        do {
            root = try TOMLTable(bytes: bytes)
        } catch {
            throw ConfigurationError(issues: [
                ConfigurationIssue(file: path, line: error.line, key: "", message: "TOML syntax error at column \(error.column): \(error.message)")
            ])
        }
        let document = ConfigurationDocument(
            path: path,
            root: root,
            environment: environment,
            fileSystem: fileSystem,
            serviceCredentials: serviceCredentials
        )
        let configuration = Self.read(document)
        let sorted = document.issues.sorted { ($0.line, $0.key) < ($1.line, $1.key) }
        guard !sorted.contains(where: { $0.severity == .error }) else { throw ConfigurationError(issues: sorted) }
        return (configuration, sorted)
    }

    /// The document walk: each table reads itself (`X+Reading.swift`), in the order their
    /// references need (credentials before what names them, `[defaults]` before what inherits),
    /// then the checks across tables.
    private static func read(_ document: ConfigurationDocument) -> Configuration {
        let root = document.root
        TableReader.rejectUnknown(
            root,
            at: "",
            allowed: ["daemon", "credential", "defaults", "resource", "application", "follow", "ha"],
            in: document
        )
        var daemon = DaemonSettings.read(document.table("daemon", as: .daemon), in: document)
        if let credentials = root["credential"]?.table {
            document.credentialNames = credentials.keys.sorted()
            for name in document.credentialNames {
                let keyPath = "credential.\(name)"
                guard let table = credentials[name]?.table else {
                    document.error(keyPath, "must be a table ([credential.\(name)])")
                    continue
                }
                var reader = TableReader(document: document, keyPath: keyPath, table: table, kind: .credential)
                let rotated = FilePath(daemon.credentialsDirectory).appending(name + ".secret").string
                if let credential = CredentialConfiguration.read(&reader, name: name, rotatedSecret: rotated) {
                    document.credentials[name] = credential
                }
            }
        }
        if var reader = document.table("ha", as: .ha), let group = HighAvailability.read(&reader) {
            daemon.highAvailability = group
            if daemon.requestTimeout > group.longestRequestTimeout {
                let longest = DurationFormat.format(group.longestRequestTimeout)
                if root["daemon"]?.table?["request_timeout"] != nil {
                    document.error(
                        "daemon.request_timeout",
                        "must be at most \(longest) in a high-availability group with lease_duration \(DurationFormat.format(group.leaseDuration)): a change is sent only while the lease holds for the request's timeout"
                    )
                } else {
                    daemon.requestTimeout = group.longestRequestTimeout
                }
            }
        }
        let defaults = ResourceConfiguration.readDefaults(document.table("defaults", as: .defaults))
        var resources: [ReadResource] = []
        for var reader in TableReader.tables(
            in: root,
            at: "",
            "resource",
            as: .resource,
            notArray: "must be an array of tables; write each as [[resource]]",
            notTable: "must be a table; write [[resource]]",
            document: document
        ) {
            if let resource = ResourceConfiguration.read(&reader, defaults: defaults) { resources.append(resource) }
        }
        for var reader in TableReader.tables(
            in: root,
            at: "",
            "application",
            as: .application,
            notArray: "must be an array of tables; write each as [[application]]",
            notTable: "must be a table; write [[application]]",
            document: document
        ) {
            if let application = ResourceConfiguration.read(&reader, defaults: defaults) { resources.append(application) }
        }
        var follows: [(keyPath: String, follow: FollowConfiguration)] = []
        for var reader in TableReader.tables(
            in: root,
            at: "",
            "follow",
            as: .follow,
            notArray: "must be an array of tables; write each as [[follow]]",
            notTable: "must be a table; write [[follow]]",
            document: document
        ) {
            if let follow = FollowConfiguration.read(&reader) { follows.append((reader.keyPath, follow)) }
        }
        if root["resource"] == nil, root["application"] == nil, root["follow"] == nil {
            document.warning("", "no [[resource]], [[application]] or [[follow]] entries: keyrotd will run but rotate and follow nothing")
        }
        checkUniqueness(resources, follows, in: document)
        if root["ha"] != nil { checkGroupDelivery(resources, follows, in: document) }
        var credentials = document.credentials
        for read in resources {
            guard let own = read.resource.application?.ownCredential else { continue }
            if credentials[own]?.rotatedSecretFile != nil {
                document.error(read.keyPath, "credential \(own)'s secret is rotated by another own_secret entry")
            }
            credentials[own]?.rotatedSecretFile = FilePath(daemon.credentialsDirectory).appending(own + ".secret").string
        }
        return Configuration(
            sourcePath: document.path,
            daemon: daemon,
            credentials: credentials,
            resources: resources.map(\.resource),
            follows: follows.map(\.follow)
        )
    }

    /// Far above any real configuration (10,000 resources take about 2 MB), and a bound on what a
    /// wrong path (a device, a log file) can make keyrotd read.
    static let maximumSize = 64 << 20
}
