/// One problem found in a configuration file, located by file, line and key.
public struct ConfigurationIssue: Sendable, Equatable, CustomStringConvertible {
    /// How bad the problem is.
    public enum Severity: String, Sendable {
        /// The configuration cannot be used.
        case error
        /// The configuration can be used but something looks wrong or could not be checked.
        case warning
    }

    /// The configuration file.
    public var file: String
    /// The 1-based line, or 0 when the problem concerns the file as a whole.
    public var line: Int
    /// The dotted key path (`resource[2].grace`), or empty.
    public var key: String
    /// What is wrong and what to do.
    public var message: String
    /// Error or warning.
    public var severity: Severity

    /// Creates an issue.
    public init(file: String, line: Int, key: String, message: String, severity: Severity = .error) {
        self.file = file
        self.line = line
        self.key = key
        self.message = message
        self.severity = severity
    }

    /// `file:line: error: key: message`, the form compilers use so editors can jump to it.
    public var description: String {
        let location = line > 0 ? "\(file):\(line)" : file
        let keyPart = key.isEmpty ? "" : "\(key): "
        return "\(location): \(severity.rawValue): \(keyPart)\(message)"
    }
}

/// Thrown when a configuration has at least one error; carries every issue found.
public struct ConfigurationError: Error, Sendable, CustomStringConvertible {
    /// All issues, errors and warnings, in file order.
    public var issues: [ConfigurationIssue]

    /// Creates the error.
    public init(issues: [ConfigurationIssue]) { self.issues = issues }

    public var description: String {
        let errors = issues.filter { $0.severity == .error }
        return "configuration rejected (\(errors.count) error\(errors.count == 1 ? "" : "s")):\n"
            + issues.map(\.description).joined(separator: "\n")
    }
}
