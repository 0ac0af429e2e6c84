/// Reads and regenerates the two keys of one resource (through ARM in production).
public protocol KeyProvider: AnyObject, Sendable {
    /// Both live keys (ARM `listKeys`; a POST that counts against the write budget).
    func listKeys() async throws -> AccessKeys
    /// Regenerates `slot`; the answer may hold only the regenerated key.
    ///
    /// When ARM runs the regeneration as a long-running operation, `accepted` is called with it
    /// before it is polled, so the caller journals it; the keys are then read once it completed.
    func regenerateKey(_ slot: KeySlot, accepted: @Sendable (LongRunningOperation) async throws -> Void) async throws -> AccessKeys
    /// Follows a regeneration ARM accepted before a restart to its end.
    func resumeRegeneration(_ operation: LongRunningOperation) async throws -> LongRunningOperation.Outcome
}
