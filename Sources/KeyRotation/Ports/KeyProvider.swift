/// Reads and regenerates the two access keys of one resource (ACS through ARM in production).
public protocol KeyProvider: Sendable {
    /// Both live keys (ARM `listKeys`; a POST that counts against the write budget).
    func listKeys() async throws -> AccessKeys
    /// Regenerates `slot` (ARM `regenerateKey`); the answer may hold only the regenerated half.
    func regenerateKey(_ slot: KeySlot) async throws -> AccessKeys
}
