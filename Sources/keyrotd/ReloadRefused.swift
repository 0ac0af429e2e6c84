/// A reload that cannot be applied while running.
struct ReloadRefused: Error, CustomStringConvertible {
    var reason: String
    var description: String { "reload refused: \(reason)" }
}
