/// How many requests keyrotd sent to ARM and how ARM answered, by operation, for the metrics file.
/// Shared by every ARM client of the daemon; counts since the daemon started.
public actor ARMTally {
    /// One operation and one answer.
    public struct Key: Hashable, Sendable, Comparable {
        /// The operation (`listKeys`, `regenerateKey`, `poll` …), as the journal names it.
        public var operation: String
        /// The HTTP status ARM answered with, or `none` when no answer came (connection failed or timed out).
        public var code: String

        /// Creates a key.
        public init(operation: String, code: String) {
            self.operation = operation
            self.code = code
        }

        public static func < (a: Key, b: Key) -> Bool { (a.operation, a.code) < (b.operation, b.code) }
    }

    /// The requests sent, by operation and answer.
    public private(set) var requests: [Key: Int] = [:]

    /// An empty tally.
    public init() {}

    /// Counts one request of `operation` that ARM answered with `status` (`nil`: no answer).
    func record(_ operation: String, status: Int?) {
        requests[Key(operation: operation, code: status.map(String.init) ?? "none"), default: 0] += 1
    }
}
