/// Writes the secret file of one resource.
public protocol SecretPublisher: Sendable {
    /// The digest of the file's current bytes, or `nil` when it is missing or unreadable.
    func currentDigest() async -> KeyFingerprint?
    /// Durably replaces the file with `material` and returns the digest of what was written.
    func publish(_ material: KeyMaterial) async throws -> KeyFingerprint
}
