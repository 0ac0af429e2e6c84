import FoundationEssentials
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

    /// Creates a loader reading `${VAR}` values from `environment`.
    public init(
        environment: [String: String] = ProcessInfo.processInfo.environment,
        serviceCredentials: Result<ServiceCredentials, ServiceCredentials.Unavailable>? = nil
    ) {
        self.environment = environment
        self.serviceCredentials = serviceCredentials
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
        var context = ValidationContext(path: path, root: root, environment: environment, serviceCredentials: serviceCredentials)
        let configuration = context.build()
        let errors = context.issues.filter { $0.severity == .error }
        let sorted = context.issues.sorted { ($0.line, $0.key) < ($1.line, $1.key) }
        guard errors.isEmpty, let configuration else { throw ConfigurationError(issues: sorted) }
        return (configuration, sorted)
    }

    /// Far above any real configuration (10,000 resources take about 2 MB), and a bound on what a
    /// wrong path (a device, a log file) can make keyrotd read.
    static let maximumSize = 64 << 20
}
