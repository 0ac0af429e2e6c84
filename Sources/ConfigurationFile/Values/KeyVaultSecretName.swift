import KeyRotation

/// The name of a Key Vault secret: 1-127 letters, digits and '-'.
struct KeyVaultSecretName: ConfigurationValue, Equatable {
    /// The name.
    var name: String

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let name = try value.requireString()
        guard KeyVaultOutput.isValidSecretName(name) else {
            throw ValueProblem("'\(name)' is not a Key Vault secret name: 1-127 letters, digits and '-'")
        }
        self.name = name
    }
}
