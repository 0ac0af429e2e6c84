import FoundationEssentials

/// What a rotation asked for now will do, step by step (`keyrotd rotate --dry-run` prints it).
/// ``RotationMachine/plan(now:emergency:)`` makes it from the same record and rules the machine
/// acts on, so the plan and the rotation cannot disagree.
public struct RotationPlan: Sendable, Equatable {
    /// One step of the plan.
    public enum Step: Sendable, Equatable {
        /// First run: read the live keys and publish `slot`; nothing is regenerated.
        case adopt(publish: KeySlot)
        /// A rotation is in progress at this recorded step; it is resumed, not restarted.
        case resume(RotationStep)
        /// Nothing happens before the wait ends.
        case wait(WaitReason)
        /// Regenerate `slot`, which is not published.
        case regenerate(KeySlot)
        /// Regenerate `slot`, which consumers may still use, at once (emergency only).
        case regenerateWithoutGrace(KeySlot)
        /// Write `slot` to the resource's outputs.
        case publish(KeySlot)
        /// Give consumers `grace` to move to the key just published.
        case grace(Duration)
        /// Remove `slot`'s credential, which consumers have left (``CredentialModel/addAndRemove``).
        case retire(KeySlot)
    }

    /// The steps, in order.
    public var steps: [Step]
}
