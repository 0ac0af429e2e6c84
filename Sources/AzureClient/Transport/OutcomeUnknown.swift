import FoundationEssentials
import KeyRotation

/// A request that is not safe to send twice got no usable answer (the connection broke, the time
/// ran out, or the service answered 408 or 5xx), so whether the service carried it out is unknown.
/// It is not sent again: the caller finds out (reads what the request would have changed) before
/// it acts again.
public struct OutcomeUnknown: CodedError, Sendable, CustomStringConvertible {
    /// The operation (`setSecret`, `addPassword`).
    public var operation: String
    /// Where it went (no secret is ever in a URL keyrotd builds).
    public var url: URL
    /// What happened instead of an answer.
    public var cause: String

    public var code: String { "outcome-unknown" }

    public var description: String {
        "\(operation) at \(url.absoluteString) got no usable answer (\(cause)), so whether it took effect is unknown; "
            + "it is not sent again blindly: the step is retried, reading first what it would have changed"
    }
}
