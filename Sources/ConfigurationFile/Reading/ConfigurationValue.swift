/// A value a configuration key holds, which parses itself from TOML and says what is wrong when it
/// cannot, in words for the operator.
protocol ConfigurationValue: Sendable {
    /// Parses `value`, written for `key` (whose declaration gives ranges and choices), checking it
    /// against `document`'s environment and host where it names something there.
    init(configuration value: TOMLValue, key: ConfigurationKey, in document: ConfigurationDocument) throws(ValueProblem)
}

/// What is wrong with a value, as the message after its `file:line: error: key:`.
struct ValueProblem: Error {
    /// The message.
    var message: String

    /// Creates the problem.
    init(_ message: String) { self.message = message }
}

extension TOMLValue {
    /// The string, or the problem "must be a string, not …".
    func requireString() throws(ValueProblem) -> String {
        guard let string else { throw ValueProblem("must be a string, not \(type)") }
        return string
    }

    /// The strings of an array of strings, or `problem`.
    func requireStrings(else problem: String) throws(ValueProblem) -> [String] {
        guard let array, array.allSatisfy({ $0.string != nil }) else { throw ValueProblem(problem) }
        return array.compactMap(\.string)
    }
}
