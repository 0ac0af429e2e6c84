import FoundationEssentials
import Logging

/// Something that happened in a rotation; the rotator logs it as its ``JournalEvent`` and shows it to
/// a `keyrotd rotate` that watches.
public enum RotationEvent: Sendable, Equatable {
    /// A scheduled or requested rotation began by regenerating the standby key.
    case rotationStarted(standby: KeySlot)
    /// The regeneration of `regenerating` waits for `consumers` to confirm the `published` key.
    case awaitingConsumers([String], published: KeySlot, regenerating: KeySlot)
    /// Every consumer confirmed the `published` key after keyrotd had waited for them.
    case consumersConfirmed(KeySlot)
    /// ARM regenerated `slot`; `fingerprint` identifies the new key.
    case keyRegenerated(KeySlot, fingerprint: KeyFingerprint)
    /// The secret file now holds `slot`.
    case published(KeySlot, fingerprint: KeyFingerprint)
    /// The rotation finished; the next is due at `nextDue`.
    case rotationCompleted(published: KeySlot, nextDue: Date)
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
    /// The credential of `slot`, which consumers had `grace` to leave, was removed
    /// (``CredentialModel/addAndRemove``).
    case keyRetired(KeySlot)
    /// A step failed; it is retried as `retry` says.
    case failed(Retry)
}

extension RotationEvent {
    /// The journal event it is logged as.
    public var journalEvent: JournalEvent {
        switch self {
        case .rotationStarted: .rotationStarted
        case .awaitingConsumers: .consumersAwaited
        case .consumersConfirmed: .consumersConfirmed
        case .keyRegenerated: .keyRegenerated
        case .published: .secretPublished
        case .rotationCompleted: .rotationCompleted
        case .driftDetected: .driftDetected
        case .fileRepairNeeded: .fileRepair
        case .emergencyRequested, .regeneratingWithoutGrace: .emergencyRotation
        case .operationLost: .operationLost
        case .keyRetired: .keyRetired
        case .failed: .rotationFailed
        }
    }

    /// The journal line (fingerprints, never keys).
    public var message: String {
        switch self {
        case .rotationStarted(let standby):
            "rotation started: regenerating the \(standby) key"
        case .awaitingConsumers(_, let published, let slot):
            "waiting for consumers to confirm the \(published) key before regenerating the \(slot) key"
        case .consumersConfirmed(let slot):
            "every consumer confirmed the \(slot) key"
        case .keyRegenerated(let slot, let fingerprint):
            "\(slot) key regenerated (\(fingerprint))"
        case .published(let slot, let fingerprint):
            "\(slot) key published (\(fingerprint))"
        case .rotationCompleted(let slot, _):
            "rotation completed; \(slot) key published"
        case .driftDetected(let slot, _, _):
            "the published \(slot) key was regenerated outside keyrotd (portal, CLI or another tool); consumers holding it fail until the file is repaired, which keyrotd does now"
        case .fileRepairNeeded:
            "what was published (the secret file, or in a group the latest Key Vault version) is missing or was changed; rewriting it from the live keys"
        case .emergencyRequested:
            "EMERGENCY rotation requested by an operator: both keys are regenerated now, one after the other, without waiting for grace; consumers still holding the old key fail until they reload the secret file"
        case .regeneratingWithoutGrace(let slot):
            "EMERGENCY: regenerating the \(slot) key without waiting for grace; consumers that have not reloaded the secret file fail from now on"
        case .operationLost(let slot):
            "the regeneration of the \(slot) key ARM accepted can no longer be followed; asking again (the key is not published)"
        case .keyRetired(let slot):
            "the replaced \(slot) credential was removed"
        case .failed(let retry):
            "rotation step failed, will retry: \(retry.lastError.message)"
        }
    }

    /// The event's own fields, beside the resource and step every rotation event carries.
    public var fields: LogFields {
        switch self {
        case .rotationStarted(let slot), .consumersConfirmed(let slot), .regeneratingWithoutGrace(let slot), .operationLost(let slot),
            .keyRetired(let slot):
            return [.key: .string(slot.rawValue)]
        case .awaitingConsumers(let consumers, let published, _):
            return [.key: .string(published.rawValue), .consumers: .string(consumers.joined(separator: ", "))]
        case .keyRegenerated(let slot, let fingerprint), .published(let slot, let fingerprint):
            return [.key: .string(slot.rawValue), .fingerprint: .string(fingerprint.value)]
        case .rotationCompleted(let slot, let nextDue):
            return [.key: .string(slot.rawValue), .nextDue: .string(nextDue.formatted(.iso8601))]
        case .driftDetected(let slot, let expected, let actual):
            return [
                .key: .string(slot.rawValue), .fingerprint: .string(actual.value), .expectedFingerprint: .string(expected?.value ?? "none"),
            ]
        case .fileRepairNeeded, .emergencyRequested:
            return [:]
        case .failed(let retry):
            var fields: LogFields = [.failures: .stringConvertible(retry.failures), .retryAt: .string(retry.at.formatted(.iso8601))]
            if let code = retry.lastError.code { fields[.errorCode] = .string(code) }
            return fields
        }
    }
}
