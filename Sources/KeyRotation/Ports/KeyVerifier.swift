/// Checks that a newly regenerated key works before it is published (`verify = true`). A protocol
/// so rotation tests can script the data plane; the daemon's is `DataPlaneKeyVerifier`,
/// which makes each type's read-only data-plane call.
public protocol KeyVerifier: AnyObject, Sendable {
    /// Returns once `material` authenticates; throws when it still does not after the verifier's
    /// patience (the publish step then fails and is retried, and the file keeps the working key).
    func verify(_ material: KeyMaterial) async throws
}
