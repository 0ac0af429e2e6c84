import FoundationEssentials

/// A rotation under way: when it started, whether an operator declared an emergency during it, and
/// the phase it is in.
public struct Rotation: Sendable, Equatable, Codable {
    /// Where a rotation is.
    public enum Phase: Sendable, Equatable, CustomStringConvertible {
        /// About to ask ARM to regenerate a key that is not published (or following ARM's
        /// long-running regeneration of it). Repeating the request after a crash is harmless.
        case regenerating(Regeneration)
        /// ARM has answered with the new value of `slot`; the outputs may or may not hold it yet.
        /// `final` is true when publishing `slot` ends the rotation.
        case publishing(slot: KeySlot, final: Bool)
        /// `full` strategy: consumers are moving to the newly published key; the other key, `then`,
        /// is regenerated at `until` (removed, for a ``CredentialModel/addAndRemove`` credential).
        case grace(until: Date, then: KeySlot)
        /// A ``CredentialModel/addAndRemove`` credential: removing `slot`'s credential, which
        /// consumers had `grace` to leave. Its removal ends the rotation.
        case retiring(KeySlot)

        /// `regenerating secondary`, `publishing primary`, `grace (then regenerating primary)`.
        public var description: String {
            switch self {
            case .regenerating(let regeneration): "regenerating \(regeneration.slot)"
            case .publishing(let slot, _): "publishing \(slot)"
            case .grace(_, let slot): "grace (then regenerating \(slot))"
            case .retiring(let slot): "retiring \(slot)"
            }
        }

        /// The phase's kind alone (`regenerating`, `publishing`, `grace`).
        public var name: String {
            switch self {
            case .regenerating: "regenerating"
            case .publishing: "publishing"
            case .grace: "grace"
            case .retiring: "retiring"
            }
        }
    }

    /// When the rotation started.
    public var startedAt: Date
    /// When an operator asked for an emergency rotation (`rotate --emergency`) that this rotation
    /// carries out: the key consumers are leaving is regenerated without waiting for `grace`, and
    /// maintenance windows and consumer confirmations are not waited for. An emergency declared
    /// after ``startedAt`` leaked the keys this rotation started from, so another follows it.
    public var emergencySince: Date?
    /// Where the rotation is.
    public var phase: Phase
    /// The fingerprint of the credential being published, for a ``CredentialModel/addAndRemove``
    /// credential whose secret only memory and the outputs hold: after a restart mid-publish, the
    /// outputs are searched for it.
    public var pending: KeyFingerprint?

    /// Creates a rotation at `phase`.
    public init(startedAt: Date, emergencySince: Date? = nil, phase: Phase) {
        self.startedAt = startedAt
        self.emergencySince = emergencySince
        self.phase = phase
    }

    /// The regeneration at hand, when the rotation is at one.
    public var regeneration: Regeneration? {
        if case .regenerating(let regeneration) = phase { regeneration } else { nil }
    }
}
