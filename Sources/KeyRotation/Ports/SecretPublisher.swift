/// Writes the secret file of one resource.
public protocol SecretPublisher: AnyObject, Sendable {
    /// The digest of the file's current bytes, or `nil` when it is missing or unreadable.
    func currentDigest() async -> KeyFingerprint?
    /// Durably replaces the file with `material` and returns the digest of what was written.
    /// `step` is the rotation step publishing it (adopting, publishing, or a repair while idle).
    func publish(_ material: KeyMaterial, step: RotationStep) async throws -> KeyFingerprint
    /// The secret with `fingerprint`, when an output holds it (`nil` otherwise). Only an
    /// ``CredentialModel/addAndRemove`` credential asks: its upstream cannot show a secret again,
    /// so after a restart the outputs are the one durable copy.
    func recover(_ fingerprint: KeyFingerprint) async -> Secret?
}
