/// Something that happened in a rotation, for the log (and later the journal's `MESSAGE_ID`s).
public enum RotationEvent: Sendable, Equatable {
    /// A scheduled or requested rotation began by regenerating the standby key.
    case rotationStarted(standby: KeySlot)
    /// ARM regenerated `slot`; `fingerprint` identifies the new key.
    case keyRegenerated(KeySlot, fingerprint: KeyFingerprint)
    /// The secret file now holds `slot`.
    case published(KeySlot, fingerprint: KeyFingerprint)
    /// The rotation finished; both requested regenerations are done.
    case rotationCompleted(published: KeySlot)
    /// The published key no longer matches Azure (regenerated out of band); the file is being repaired.
    case driftDetected(KeySlot, expected: KeyFingerprint?, actual: KeyFingerprint)
    /// The secret file was missing or changed on disk and is being rewritten from the live keys.
    case fileRepairNeeded
    /// An operator asked for an emergency rotation: both keys are regenerated without waiting.
    case emergencyRequested
    /// `slot`, which consumers may still hold, is regenerated before `grace` passed (emergency only).
    case regeneratingWithoutGrace(KeySlot)
    /// A regeneration ARM accepted before a restart can no longer be followed; `slot` (not
    /// published) is regenerated again.
    case operationLost(KeySlot)
    /// A step failed; it is retried at the time given.
    case failed(message: String, failures: Int)
}

extension RotationEvent {
    /// The stable name of the event, for structured log fields (`KEYROTD_EVENT`) and the journal's `MESSAGE_ID`.
    public var name: String {
        switch self {
        case .rotationStarted: "rotation-started"
        case .keyRegenerated: "key-regenerated"
        case .published: "secret-published"
        case .rotationCompleted: "rotation-completed"
        case .driftDetected: "drift-detected"
        case .fileRepairNeeded: "file-repair"
        case .emergencyRequested, .regeneratingWithoutGrace: "emergency-rotation"
        case .operationLost: "operation-lost"
        case .failed: "rotation-failed"
        }
    }
}
