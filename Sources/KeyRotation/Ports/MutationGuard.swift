/// What is asked before each action that changes Azure — a regeneration, a Key Vault write — in a
/// high-availability group: whether this node still leads, with a lease that outlasts the action.
/// The rotator asks after it journaled its intent; the guarded transport asks again immediately
/// before a request leaves.
public protocol MutationGuard: Sendable {
    /// Returns when an action that may take up to `horizon` may go ahead; throws ``NotLeader``
    /// when it may not.
    func permit(within horizon: Duration) async throws
}

/// This node may not change anything: it does not lead, or its lease may end before the action would.
public struct NotLeader: CodedError, Sendable, CustomStringConvertible {
    /// `not-leader`.
    public var code: String { "not-leader" }
    /// The node's name.
    public var node: String

    /// Creates the error.
    public init(node: String) { self.node = node }

    public var description: String {
        "node \(node) does not hold the group's lease for long enough to act: it sends nothing (another node leads, or none does)"
    }
}
