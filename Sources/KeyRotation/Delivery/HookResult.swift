/// How one hook run ended and what it printed.
public struct HookResult: Sendable, Equatable {
    /// How the program ended.
    public enum Termination: Sendable, Equatable, CustomStringConvertible {
        /// It exited with this status.
        case exited(Int32)
        /// A signal ended it (not one keyrotd sent).
        case signaled(Int32)
        /// It outlived its timeout and was terminated (SIGTERM, then SIGKILL).
        case timedOut
        /// It could not be started at all.
        case notStarted(String)

        public var description: String {
            switch self {
            case .exited(let status): return "exited with status \(status)"
            case .signaled(let signal): return "was killed by signal \(signal)"
            case .timedOut: return "did not finish within its timeout and was terminated"
            case .notStarted(let reason): return "could not be started: \(reason)"
            }
        }
    }

    /// How it ended.
    public var termination: Termination
    /// The start of its standard output and error (interleaved), secrets redacted.
    public var output: String
    /// How many further bytes it printed, read and discarded.
    public var discardedBytes: Int
    /// How long it ran.
    public var duration: Duration

    /// Creates a result.
    public init(termination: Termination, output: String = "", discardedBytes: Int = 0, duration: Duration = .zero) {
        self.termination = termination
        self.output = output
        self.discardedBytes = discardedBytes
        self.duration = duration
    }

    /// Exit status 0: the key counts as delivered.
    public var succeeded: Bool { termination == .exited(0) }
}
