/// The name of a `[credential.NAME]` table of the file.
struct CredentialName: ConfigurationValue, Equatable {
    /// The name.
    var name: String

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let name = try value.requireString()
        guard document.credentialNames.contains(name) else {
            let defined = document.credentialNames
            throw ValueProblem("no [credential.\(name)] table" + (defined.isEmpty ? "" : "; defined: \(defined.joined(separator: ", "))"))
        }
        self.name = name
    }
}
