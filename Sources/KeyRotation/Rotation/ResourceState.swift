import FoundationEssentials

/// Everything keyrotd remembers about one resource between runs. Holds fingerprints, never keys:
/// the secret file is the only copy of a key on disk.
public struct ResourceState: Sendable, Equatable {
    /// The layout version written: 2 since the step carries its own data (``RotationStep``); records of
    /// version 1 are read and upgraded (`ResourceState+Coding.swift`).
    public static let formatVersion = 2

    /// The resource's ARM id, so a renamed configuration entry cannot adopt another resource's state.
    public var resourceID: String
    /// The current step, with everything it needs.
    public var step: RotationStep
    /// The fingerprint of the published key.
    public var publishedKey: KeyFingerprint?
    /// The key whose connection string the secret file holds (or is about to hold, while adopting).
    /// Declared after an optional, whose padding it fills: each record is in memory for every resource.
    public var published: KeySlot
    /// The digest of the bytes last written to the secret file.
    public var publishedFile: KeyFingerprint?
    /// When the primary key last stopped being published (or was adopted as unpublished).
    public var primaryUnpublishedAt: Date?
    /// When the secondary key last stopped being published (or was adopted as unpublished).
    public var secondaryUnpublishedAt: Date?
    /// When the next scheduled rotation is due.
    public var nextDue: Date
    /// When the last rotation completed.
    public var lastRotation: Date?
    /// Completed rotations.
    public var rotations: Int = 0
    /// Key regenerations asked of ARM (including harmless repeats after a crash).
    public var regenerations: Int = 0
    /// The failed step's retry; `nil` since the last success.
    public var retry: Retry? {
        get { failure?.value }
        set { failure = newValue.map(Indirect.value) }
    }
    private var failure: Indirect<Retry>?

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

extension ResourceState {
    /// The rotation under way, if any.
    public var rotation: Rotation? { step.rotation }
    /// When the rotation under way started.
    public var rotationStartedAt: Date? { rotation?.startedAt }
    /// When the emergency the rotation under way carries out was declared.
    public var emergencySince: Date? { rotation?.emergencySince }
    /// The regeneration at hand's long-running operation, journaled when ARM accepted it.
    public var pendingOperation: LongRunningOperation? { rotation?.regeneration?.operation }
    /// When the regeneration at hand waits for a maintenance window, the instant it starts.
    public var windowOpensAt: Date? { rotation?.regeneration?.windowOpensAt }
    /// When the failed step is retried.
    public var retryAt: Date? { retry?.at }
    /// Failures since the last success.
    public var consecutiveFailures: Int { retry?.failures ?? 0 }
    /// The last failure's message, while failing.
    public var lastError: String? { retry?.lastError.message }
}
