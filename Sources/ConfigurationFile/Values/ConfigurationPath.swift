import SystemPackage

/// A file or directory path as the configuration writes it: `${VAR}` replaced from the environment
/// (left as written when unset), relative to the configuration file's directory, normalized.
struct ConfigurationPath: ConfigurationValue, Equatable {
    /// The expanded, absolute path (or one still starting with an unset `${VAR}`).
    var string: String

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        try self.init(expanding: try value.requireString(), in: document)
    }

    /// Expands `raw` as written in `document`.
    init(expanding raw: String, in document: ConfigurationDocument) throws(ValueProblem) {
        if raw.isEmpty { throw ValueProblem("must not be empty") }
        var expanded = ""
        var rest = Substring(raw)
        while let start = rest.firstRange(of: "${") {
            expanded += rest[..<start.lowerBound]
            guard let end = rest[start.upperBound...].firstIndex(of: "}") else { throw ValueProblem("unterminated ${ in '\(raw)'") }
            let variable = String(rest[start.upperBound..<end])
            if let value = document.environment[variable], !value.isEmpty {
                expanded += value
            } else {
                expanded += "${\(variable)}"
            }
            rest = rest[rest.index(after: end)...]
        }
        expanded += rest
        if !expanded.hasPrefix("/") && !expanded.hasPrefix("${") {
            expanded = FilePath(document.baseDirectory).appending(expanded).string
        }
        string = FilePath(expanded).lexicallyNormalized().string
    }
}
