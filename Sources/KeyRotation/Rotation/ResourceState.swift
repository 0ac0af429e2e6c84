import FoundationEssentials

/// Everything keyrotd remembers about one resource between runs. Holds fingerprints, never keys:
/// the secret file is the only copy of a key on disk.
public struct ResourceState: Sendable, Codable, Equatable {
    /// The layout version of this record.
    public var formatVersion: Int = 1
    /// The resource's ARM id, so a renamed configuration entry cannot adopt another resource's state.
    public var resourceID: String
    /// The current step.
    public var step: RotationStep
    /// The key whose connection string the secret file holds (or is about to hold, while adopting).
    public var published: KeySlot
    /// The fingerprint of the published key.
    public var publishedKey: KeyFingerprint?
    /// The digest of the bytes last written to the secret file.
    public var publishedFile: KeyFingerprint?
    /// When the primary key last stopped being published (or was adopted as unpublished).
    public var primaryUnpublishedAt: Date?
    /// When the secondary key last stopped being published (or was adopted as unpublished).
    public var secondaryUnpublishedAt: Date?
    /// When the next scheduled rotation is due.
    public var nextDue: Date
    /// When the current rotation started.
    public var rotationStartedAt: Date?
    /// When the last rotation completed.
    public var lastRotation: Date?
    /// Completed rotations.
    public var rotations: Int = 0
    /// Key regenerations asked of ARM (including harmless repeats after a crash).
    public var regenerations: Int = 0
    /// The last failure, for status output; cleared by the next success.
    public var lastError: String?
    /// When ``lastError`` happened.
    public var lastErrorAt: Date?
    /// Failures since the last success.
    public var consecutiveFailures: Int = 0
    /// When an operator asked for an emergency rotation that is still running (`rotate --emergency`):
    /// while set, the key consumers are leaving is regenerated without waiting for `grace`.
    public var emergencySince: Date?
    /// When a failed step is retried.
    public var retryAt: Date?
    /// A regeneration ARM accepted and runs in the background, until its keys are read.
    public var pendingOperation: LongRunningOperation?
    /// When the regeneration at hand waits for a maintenance window, the opening it waits for.
    public var windowOpensAt: Date?

    /// A new record for a resource keyrotd has not managed before.
    public init(resourceID: String, adoptedAt now: Date) {
        self.resourceID = resourceID
        self.step = .adopting
        self.published = .primary
        self.secondaryUnpublishedAt = now
        self.primaryUnpublishedAt = now
        self.nextDue = now
    }

    /// When the published key became the published one (`nil` while adopting). The other key stopped
    /// being published at that instant; for an adopted key it is the adoption, as keyrotd cannot
    /// know how old a key it found is.
    public var publishedSince: Date? { step == .adopting ? nil : unpublishedAt(published.other) }

    /// When `slot` stopped being published (`nil` when it is published or was never recorded).
    public func unpublishedAt(_ slot: KeySlot) -> Date? {
        slot == .primary ? primaryUnpublishedAt : secondaryUnpublishedAt
    }

    /// Records that `slot` stopped being published at `date`.
    public mutating func setUnpublished(_ slot: KeySlot, at date: Date?) {
        if slot == .primary { primaryUnpublishedAt = date } else { secondaryUnpublishedAt = date }
    }

    /// The earliest instant the invariant allows regenerating `slot`, or `nil` if it never may
    /// (because `slot` is the published key).
    public func earliestRegeneration(of slot: KeySlot, grace: Duration) -> Date? {
        guard slot != published || step == .adopting else { return nil }
        guard let since = unpublishedAt(slot) else { return nil }
        return since.addingTimeInterval(grace.seconds)
    }
}
