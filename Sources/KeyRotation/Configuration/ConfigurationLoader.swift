import Foundation

/// Reads and validates a keyrotd TOML configuration, collecting every problem with file, line and key.
///
/// Relative paths in the file are resolved against the file's directory, and `${VAR}` in paths is
/// replaced from the environment (`${CREDENTIALS_DIRECTORY}` is set by systemd's `LoadCredential=`).
public struct ConfigurationLoader: Sendable {
    /// The environment used for `${VAR}` expansion.
    public var environment: [String: String]

    /// Creates a loader reading `${VAR}` values from `environment`.
    public init(environment: [String: String] = ProcessInfo.processInfo.environment) {
        self.environment = environment
    }

    /// Loads the file at `path`.
    ///
    /// - Returns: the configuration and any warnings.
    /// - Throws: ``ConfigurationError`` with every issue when at least one is an error.
    public func load(path: String) throws(ConfigurationError) -> (Configuration, [ConfigurationIssue]) {
        let source: String
        do {
            source = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigurationError(issues: [
                ConfigurationIssue(file: path, line: 0, key: "", message: "cannot read the file: \(Self.describe(error))")
            ])
        }
        return try load(source: source, path: path)
    }

    /// Parses and validates `source` as if read from `path`.
    public func load(source: String, path: String) throws(ConfigurationError) -> (Configuration, [ConfigurationIssue]) {
        let root: TOMLTable
        do {
            root = try TOMLTable(string: source)
        } catch {
            throw ConfigurationError(issues: [
                ConfigurationIssue(file: path, line: error.line, key: "", message: "TOML syntax error at column \(error.column): \(error.message)")
            ])
        }
        var context = ValidationContext(path: path, source: source, environment: environment)
        let configuration = context.build(root: root)
        let errors = context.issues.filter { $0.severity == .error }
        let sorted = context.issues.sorted { ($0.line, $0.key) < ($1.line, $1.key) }
        guard errors.isEmpty, let configuration else { throw ConfigurationError(issues: sorted) }
        return (configuration, sorted)
    }

    /// A short reason for a failed read, without Foundation's wording.
    static func describe(_ error: any Error) -> String {
        let nsError = error as NSError
        if let underlying = nsError.userInfo[NSUnderlyingErrorKey] as? NSError, underlying.domain == NSPOSIXErrorDomain {
            return String(cString: strerror(Int32(underlying.code)))
        }
        if nsError.domain == NSCocoaErrorDomain, nsError.code == NSFileReadNoSuchFileError {
            return "no such file"
        }
        return nsError.localizedDescription
    }
}
