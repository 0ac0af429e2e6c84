/// A table of string values (`{ team = "payments" }`).
struct StringTable: ConfigurationValue, Equatable {
    /// The entries.
    var entries: [String: String]

    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem) {
        guard let table = value.table, table.keys.allSatisfy({ table[$0]?.string != nil }) else {
            throw ValueProblem("must be a table of strings, such as { team = \"payments\" }")
        }
        entries = Dictionary(uniqueKeysWithValues: table.keys.map { ($0, table[$0]?.string ?? "") })
    }
}
