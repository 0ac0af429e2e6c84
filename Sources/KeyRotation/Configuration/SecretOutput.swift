import FoundationEssentials

/// One file a resource's published key is written to, inside the secrets directory.
public struct SecretOutput: Sendable, Equatable {
    /// The file name.
    public var file: String
    /// The layout, when no template is given.
    public var format: SecretFormat
    /// The operator's layout; takes the place of `format`.
    public var template: SecretTemplate?
    /// The variable name of the `env` format.
    public var envName: String
    /// The file's permission bits.
    public var mode: UInt32
    /// The file's group, or `nil` for the daemon's own.
    public var group: String?

    /// Creates an output.
    public init(file: String, format: SecretFormat, template: SecretTemplate? = nil, envName: String, mode: UInt32, group: String?) {
        self.file = file
        self.format = format
        self.template = template
        self.envName = envName
        self.mode = mode
        self.group = group
    }

    /// The file's bytes for `material`, written at `now`.
    ///
    /// - Throws: a value holding a character that a format or template would have to escape to keep
    ///   it one value (a newline in an `env` file is a second variable). ARM's answers are checked
    ///   before they get here; this is the last guard at the file.
    public func render(_ material: KeyMaterial, now: Date) throws(KeyValueRules.Violation) -> [UInt8] {
        let values = [("key", material.key), ("connectionString", material.connectionString), ("endpoint", Secret(material.endpoint))]
        for case (let field, let value?) in values {
            // A key and certificate (PEM) go where line feeds are safe: the file alone, or JSON, which escapes them.
            if field == "key", template == nil, format == .key || format == .json, KeyValueRules.isPEM(value.exposedValue) { continue }
            if let problem = KeyValueRules.unsafeCharacterProblem(value.exposedValue) {
                throw KeyValueRules.Violation(field: field, problem: problem + "; not written to \(file)")
            }
        }
        return template?.render(material, now: now) ?? format.render(material, envName: envName)
    }
}
