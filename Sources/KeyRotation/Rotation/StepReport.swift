/// One thing that happened to a resource, as `keyrotd rotate` shows it while the daemon rotates.
public struct StepReport: Sendable, Equatable {
    /// What happened.
    public var event: RotationEvent
    /// What happened, for the operator (the journal line; fingerprints, never keys).
    public var message: String
    /// The step the resource is at after it.
    public var step: RotationStep
}
