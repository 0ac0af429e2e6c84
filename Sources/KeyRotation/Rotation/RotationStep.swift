import FoundationEssentials

/// The durable step a resource is at. Recorded *before* the action it names is taken, so a process
/// killed at any instant resumes correctly from it.
public enum RotationStep: Sendable, Codable, Equatable, CustomStringConvertible {
    /// No state yet: read the live keys and publish the primary.
    case adopting
    /// Nothing in flight; the next rotation is due at ``ResourceState/nextDue``.
    case idle
    /// About to ask ARM to regenerate `slot`, which is not published and has not been for at least
    /// `grace`. Repeating the request after a crash is harmless. `final` is true when publishing
    /// `slot` ends the rotation.
    case regenerating(slot: KeySlot, final: Bool)
    /// ARM has answered with the new value of `slot`; the secret file may or may not hold it yet.
    case publishing(slot: KeySlot, final: Bool)
    /// `full` strategy: consumers are moving to the newly published key; the other key, `regenerate`,
    /// is regenerated at `until`.
    case grace(until: Date, regenerate: KeySlot)

    /// A short name for logs and status (`regenerating secondary`).
    public var description: String {
        switch self {
        case .adopting: return "adopting"
        case .idle: return "idle"
        case .regenerating(let slot, _): return "regenerating \(slot)"
        case .publishing(let slot, _): return "publishing \(slot)"
        case .grace(_, let slot): return "grace (then regenerating \(slot))"
        }
    }

    /// The step's kind alone, for structured log fields.
    public var name: String {
        switch self {
        case .adopting: return "adopting"
        case .idle: return "idle"
        case .regenerating: return "regenerating"
        case .publishing: return "publishing"
        case .grace: return "grace"
        }
    }
}
