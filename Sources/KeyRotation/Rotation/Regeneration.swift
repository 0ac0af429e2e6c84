import FoundationEssentials

/// The regeneration of one key within a rotation: which key, whether publishing it ends the
/// rotation, the long-running operation ARM runs for it, and the maintenance window it waits for.
public struct Regeneration: Sendable, Equatable, Codable {
    /// The key to regenerate; never the published one.
    public var slot: KeySlot
    /// Whether publishing the new `slot` ends the rotation (`alternate`, or `full`'s second key).
    public var final: Bool
    /// A regeneration ARM accepted and runs in the background, journaled before it is polled so a
    /// restart follows it instead of asking again; `nil` until ARM accepts one.
    public var operation: LongRunningOperation?
    /// When the regeneration waits for a maintenance window: the instant it starts (the opening, plus
    /// jitter for a rotation's first regeneration).
    public var windowOpensAt: Date?

    /// Creates a regeneration that has not been asked of ARM yet.
    public init(slot: KeySlot, final: Bool, operation: LongRunningOperation? = nil, windowOpensAt: Date? = nil) {
        self.slot = slot
        self.final = final
        self.operation = operation
        self.windowOpensAt = windowOpensAt
    }
}
