import FoundationEssentials

/// Why a resource whose rotation is under way (or was asked for) is not working at this moment.
/// ``RotationMachine/waitReason(now:)`` says it; the control socket and the CLI only format it.
public enum WaitReason: Sendable, Equatable, CustomStringConvertible {
    /// `full` strategy: consumers move to the published key until `until`; then `then` is regenerated.
    case grace(until: Date, then: KeySlot)
    /// A step failed; it is retried at `at`.
    case retry(at: Date, lastError: String)
    /// The key consumers may still use (`slot` is about to be regenerated) waits until the listed
    /// consumers confirm the published key.
    case consumersUnconfirmed([String], slot: KeySlot)
    /// The invariant: `slot` was published less than `grace` ago and may not be regenerated before `until`.
    case invariant(slot: KeySlot, until: Date)
    /// Outside the resource's maintenance windows: the regeneration starts at the opening at `opensAt`.
    case window(opensAt: Date)

    public var description: String {
        switch self {
        case .grace(let until, let slot):
            "consumers move to the new key until \(until.formatted(.iso8601)); then the \(slot) key is regenerated"
        case .retry(let at, let lastError):
            "retrying at \(at.formatted(.iso8601)) after: \(lastError)"
        case .consumersUnconfirmed(let consumers, let slot):
            "the \(slot) key is regenerated once these consumers confirm the published key: \(consumers.joined(separator: ", "))"
        case .invariant(let slot, let until):
            "the \(slot) key was published less than grace ago; it may be regenerated from \(until.formatted(.iso8601))"
        case .window(let opensAt):
            "outside the maintenance windows; the regeneration starts when the next one opens, \(opensAt.formatted(.iso8601))"
        }
    }
}
