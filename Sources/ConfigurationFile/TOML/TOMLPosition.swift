/// Where something was written in a TOML document: the 1-based line and column (in bytes).
struct TOMLPosition: Equatable, Sendable {
    /// The line.
    var line: Int
    /// The column, counted in bytes from 1.
    var column: Int
}
