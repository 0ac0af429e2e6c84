import FoundationEssentials

/// A failed step waiting to be tried again: when, after how many failures in a row, and the last
/// error. Cleared by the next success.
public struct Retry: Sendable, Equatable, Codable {
    /// When the failed step is tried again.
    public var at: Date
    /// Failures since the last success (at least one).
    public var failures: Int
    /// The last failure.
    public var lastError: RecordedError

    /// Creates the retry of a step that failed `failures` times in a row, the last time with `lastError`.
    public init(at: Date, failures: Int, lastError: RecordedError) {
        self.at = at
        self.failures = failures
        self.lastError = lastError
    }
}

/// A failure as the record keeps it for `keyrotd status`: what the operator reads, the code that
/// names it (ARM's or Key Vault's `error.code`, or one of keyrotd's), and when it happened.
public struct RecordedError: Sendable, Equatable, Codable, CustomStringConvertible {
    /// What went wrong and what to do, as logged (never a secret).
    public var message: String
    /// The code of the failure (`AuthorizationFailed`, `confirmation-overdue` …), when it has one.
    public var code: String?
    /// When it happened.
    public var at: Date

    /// Records `error` as it happened at `at`.
    public init(_ error: any Error, at: Date) {
        self.init(message: String(describing: error), code: (error as? any CodedError)?.code, at: at)
    }

    /// Creates a recorded failure from its parts.
    public init(message: String, code: String?, at: Date) {
        self.message = message
        self.code = code
        self.at = at
    }

    public var description: String { message }
}
