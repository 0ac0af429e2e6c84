import FoundationEssentials

/// The durable step a resource is at. Recorded *before* the action it names is taken, so a process
/// killed at any instant resumes correctly from it. Each case holds what its step needs and nothing
/// else: an idle resource carries no rotation's fields.
public enum RotationStep: Sendable, Equatable, CustomStringConvertible {
    /// No state yet: read the live keys and publish the primary.
    case adopting
    /// Nothing in flight; the next rotation is due at ``ResourceState/nextDue``.
    case idle
    /// A rotation is under way. Indirect, so that the idle records of thousands of resources hold a
    /// reference's width, not a rotation's.
    indirect case rotating(Rotation)

    /// The rotation under way, if there is one.
    public var rotation: Rotation? {
        if case .rotating(let rotation) = self { rotation } else { nil }
    }

    /// A short name for logs and status (`regenerating secondary`).
    public var description: String {
        switch self {
        case .adopting: "adopting"
        case .idle: "idle"
        case .rotating(let rotation): rotation.phase.description
        }
    }

    /// The step's kind alone, for structured log fields and hooks' `KEYROTD_STEP`: `adopting`,
    /// `idle`, `regenerating`, `publishing` or `grace`.
    public var name: String {
        switch self {
        case .adopting: "adopting"
        case .idle: "idle"
        case .rotating(let rotation): rotation.phase.name
        }
    }
}
