import KeyRotation
import Logging

/// A value that is one of a few words, its raw values: a different case is accepted (`ps256`), a
/// near miss suggested.
protocol ConfigurationChoice: ConfigurationValue, CaseIterable, RawRepresentable where RawValue == String {}

extension ConfigurationChoice {
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let text = try value.requireString()
        let words = Self.allCases.map(\.rawValue)
        if let word = words.first(where: { $0 == text }) ?? words.first(where: { $0.lowercased() == text.lowercased() }),
            let choice = Self(rawValue: word)
        {
            self = choice
            return
        }
        let suggestion = words.first { TableReader.editDistance($0.lowercased(), text.lowercased()) <= 2 }.map { "; did you mean '\($0)'?" } ?? ""
        let list = words.dropLast().joined(separator: ", ") + (words.count > 1 ? " or " : "") + (words.last ?? "")
        throw ValueProblem("unknown \(key.name) '\(text)'; use \(list)\(suggestion)")
    }
}

extension Logger.Level: ConfigurationChoice {}
extension RotationStrategy: ConfigurationChoice {}
extension SecretFormat: ConfigurationChoice {}
extension ResourceType.KeyPair: ConfigurationChoice {}
extension AzureCloud: ConfigurationChoice {}
extension CredentialConfiguration.AssertionAlgorithm: ConfigurationChoice {}
