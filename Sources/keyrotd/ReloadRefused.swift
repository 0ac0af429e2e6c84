/// A reload that cannot be applied while running.
struct ReloadRefused: Error, CustomStringConvertible {
    /// Why.
    var reason: String
    /// The message for the journal and `STATUS=`.
    var description: String { "reload refused: \(reason)" }
}
