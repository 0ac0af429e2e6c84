/// An ARM api-version: `YYYY-MM-DD` or `YYYY-MM-DD-preview`.
struct APIVersion: ConfigurationValue, Equatable {
    /// The version.
    var version: String

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        let v = try value.requireString()
        let parts = v.split(separator: "-", maxSplits: 3)
        let ok =
            parts.count >= 3 && parts[0].count == 4 && parts[1].count == 2
            && parts[2].prefix(2).allSatisfy(\.isNumber) && (parts.count == 3 || parts[3] == "preview")
        guard ok else { throw ValueProblem("'\(v)' is not an api-version (YYYY-MM-DD or YYYY-MM-DD-preview)") }
        version = v
    }
}
