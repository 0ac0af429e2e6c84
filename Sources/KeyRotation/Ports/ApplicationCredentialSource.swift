/// Reads every credential of one app registration (Microsoft Graph in the daemon). A protocol so the
/// expiry watch is tested with scripted applications and a manual clock.
public protocol ApplicationCredentialSource: Sendable {
    /// The application's password and certificate credentials now.
    func credentials() async throws -> [ApplicationCredential]
}
