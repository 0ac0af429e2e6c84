/// The name of an environment variable: ASCII letters, digits and `_`, not starting with a digit.
struct EnvironmentName: ConfigurationValue, Equatable {
    /// The name.
    var name: String

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let s = try value.requireString()
        let valid =
            !s.isEmpty && !(s.first!.isNumber)
            && s.unicodeScalars.allSatisfy { $0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "_") }
        guard valid else { throw ValueProblem("'\(s)' is not a valid environment variable name") }
        name = s
    }
}
