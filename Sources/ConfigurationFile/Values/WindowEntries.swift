/// The maintenance windows as written (`["Mon-Fri 09:00-17:00"]`); they are parsed with the time
/// zone, which may come from another key or table.
struct WindowEntries: ConfigurationValue, Equatable {
    /// The entries.
    var entries: [String]

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        entries = try value.requireStrings(else: "must be an array of strings such as [\"Mon-Fri 09:00-17:00\"]")
    }
}
