/// A group that exists on this host, which a secret file is given to.
struct GroupName: ConfigurationValue, Equatable {
    /// The name.
    var name: String

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let name = try value.requireString()
        guard document.fileSystem.groupExists(name) else { throw ValueProblem("group '\(name)' does not exist on this machine") }
        self.name = name
    }
}
