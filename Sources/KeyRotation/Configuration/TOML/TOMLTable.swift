/// A TOML table: keys and their values.
struct TOMLTable: Equatable, Sendable {
    /// The entries.
    var entries: [String: TOMLValue] = [:]

    /// The keys, in no particular order.
    var keys: [String] { Array(entries.keys) }

    /// The value at `key`.
    subscript(key: String) -> TOMLValue? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    /// Parses a whole document; throws ``TOMLSyntaxError`` at the first thing that is not TOML.
    init(string: String) throws(TOMLSyntaxError) {
        var parser = TOMLParser(source: string)
        self = try parser.parseDocument()
    }

    /// An empty table.
    init() {}
}
