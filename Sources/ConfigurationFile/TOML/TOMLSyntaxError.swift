/// Where and why a document is not TOML.
struct TOMLSyntaxError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The 1-based line.
    var line: Int
    /// The 1-based column, in bytes.
    var column: Int
    /// What was expected or wrong.
    var message: String

    var description: String { "line \(line), column \(column): \(message)" }
}
