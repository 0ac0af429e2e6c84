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
    public func render(_ material: KeyMaterial, now: Date) -> [UInt8] {
        template?.render(material, now: now) ?? format.render(material, envName: envName)
    }
}
