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

extension CredentialName {
    /// The credential `key` names, else the file's only one; where the table names none and the
    /// file has not exactly one, an error that says where to `nameIt`.
    static func read(_ t: inout TableReader, _ key: ConfigurationKey, nameIt: String) -> String? {
        let names = t.document.credentialNames
        let name = t.read(key, as: CredentialName.self)?.name ?? (names.count == 1 ? names.first : nil)
        if name == nil, !t.contains(key) {
            t.error(key, names.isEmpty ? "no credential: add a [credential.NAME] table" : "several credentials exist; \(nameIt)")
        }
        return name
    }
}
