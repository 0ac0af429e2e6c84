/// A secret file's name inside the secrets directory: a plain name, never a path out of it.
struct OutputFileName: ConfigurationValue, Equatable {
    /// The name.
    var name: String

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        try self.init(try value.requireString())
    }

    /// Checks `name`, which may also come from the resource's name.
    init(_ name: String) throws(ValueProblem) {
        if name.isEmpty { throw ValueProblem("must not be empty") }
        if name.contains("/") || name == "." || name == ".." {
            throw ValueProblem("'\(name)' escapes the secrets directory: give a plain file name, it is written inside secrets_dir")
        }
        if name.hasPrefix(".") { throw ValueProblem("'\(name)' must not start with '.' (temporary files do)") }
        if name.utf8.count > 200 { throw ValueProblem("file name is too long") }
        if name.contains("\0") { throw ValueProblem("must not contain NUL") }
        self.name = name
    }
}
