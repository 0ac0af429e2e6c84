import KeyRotation

extension ConfigurationSchema {
    /// `file`.
    public static let file = ConfigurationKey(
        "file",
        in: [.output],
        only: [SecretOutput.fileVariant],
        OutputFileName.self,
        .string,
        default: .described("required, unless key_vault is given"),
        "a further file the key is written to, inside secrets_dir; format, template, env_name, mode and group default to the resource's"
    )

    /// The keys of a file's `[[resource.outputs]]`, in the documentation's order.
    static let fileOutputKeys = [file]
}

extension SecretOutput {
    /// The variant of `[[resource.outputs]]` that writes a file.
    static let fileVariant = "file"

    /// Reads a `[[resource.outputs]]` with `file`, whose layout and permissions default to `resource`'s.
    static func read(_ o: inout TableReader, resource: ResourceConfiguration) -> SecretOutput? {
        typealias Key = ConfigurationSchema
        o.variant = fileVariant
        defer { o.finish { _ in "applies only to a Key Vault output (key_vault = …)" } }
        let file = o.required(Key.file, as: OutputFileName.self)
        let format = o.read(Key.format, as: SecretFormat.self)
        let template = readTemplate(&o)
        let envName = o.read(Key.envName, as: EnvironmentName.self)
        let mode = o.read(Key.mode, as: FileMode.self)
        let group = o.read(Key.group, as: GroupName.self)
        guard let file else { return nil }
        return SecretOutput(
            file: file.name,
            format: format ?? resource.format,
            template: template,
            envName: envName?.name ?? resource.envName,
            mode: mode?.bits ?? resource.mode,
            group: group?.name ?? resource.group
        )
    }

    /// `template`, which takes the place of `format` and is refused beside it.
    static func readTemplate(_ t: inout TableReader) -> SecretTemplate? {
        guard t.contains(ConfigurationSchema.template) else { return nil }
        if t.contains(ConfigurationSchema.format) {
            t.accept(ConfigurationSchema.template.name)
            t.error(ConfigurationSchema.template, "give format or template, not both")
            return nil
        }
        return t.read(ConfigurationSchema.template, as: SecretTemplate.self)
    }
}
