/// A credential could not produce a token for a local reason (a file, the environment, a metadata
/// endpoint): what failed, where, and what to do. Never holds secret material.
public struct CredentialError: Error, Sendable, CustomStringConvertible {
    /// The source, e.g. "managed identity (IMDS)".
    public var source: String
    /// What went wrong.
    public var problem: String
    /// What the operator should do.
    public var advice: String

    /// Creates an error.
    public init(source: String, problem: String, advice: String = "") {
        self.source = source
        self.problem = problem
        self.advice = advice
    }

    public var description: String {
        "\(source): \(problem)" + (advice.isEmpty ? "" : "; \(advice)")
    }
}

/// `kind = "auto"` found no source that works: why each one failed, in the order tried.
public struct CredentialChainError: Error, Sendable, CustomStringConvertible {
    /// Each source tried (or skipped) and why it gave no token.
    public var attempts: [(source: String, reason: String)]

    /// Creates the error.
    public init(attempts: [(source: String, reason: String)]) {
        self.attempts = attempts
    }

    public var description: String {
        "no Azure identity worked (kind = \"auto\" tried "
            + attempts.map { "\($0.source): \($0.reason)" }.joined(separator: "; ")
            + "); configure one of them or name the kind explicitly"
    }
}
