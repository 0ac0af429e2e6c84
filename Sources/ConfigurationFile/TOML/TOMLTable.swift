/// A TOML table: keys, their values, and where each key was written.
struct TOMLTable: Equatable, Sendable {
    /// The entries.
    var entries: [String: TOMLValue] = [:]
    /// Where each key was first written: the key itself for `key = value`, the header's last key
    /// for a table opened by `[header]`, the segment for a table made on the way by a dotted key.
    var positions: [String: TOMLPosition] = [:]
    /// Where the table itself was opened: its `[header]` or `[[header]]`, its `{`, or the first key
    /// that made it; `nil` for the document.
    var position: TOMLPosition?

    /// The keys, in no particular order.
    var keys: [String] { Array(entries.keys) }

    /// The value at `key`.
    subscript(key: String) -> TOMLValue? {
        get { entries[key] }
        set { entries[key] = newValue }
    }

    /// Where `key` was written, if the table has it.
    func position(of key: String) -> TOMLPosition? { positions[key] }

    /// Parses a whole document; throws ``TOMLSyntaxError`` at the first thing that is not TOML 1.0.
    init(string: String) throws(TOMLSyntaxError) {
        try self.init(bytes: Array(string.utf8))
    }

    /// Parses a whole document from its bytes, which must be UTF-8 (a byte-order mark is allowed).
    init(bytes: [UInt8]) throws(TOMLSyntaxError) {
        var parser = TOMLParser(bytes: bytes)
        self = try parser.parseDocument()
    }

    /// An empty table.
    init() {}
}
