import FoundationEssentials

/// The upstream of a ``CredentialModel/addAndRemove`` credential (an application's client secrets):
/// a rotation adds a credential to a slot, and later removes the one it replaced. A protocol so
/// rotation tests can script Graph; the daemon's is `ApplicationCredentialProvider`.
///
/// The ``KeyProvider`` requirements it inherits: `listKeys` answers without secrets (the upstream
/// shows a secret only once), and `regenerateKey` is not asked; the machine never needs either.
public protocol AddedCredentialProvider: KeyProvider {
    /// Adds a credential to `slot` for the rotation that started at `rotationStartedAt`, after
    /// removing what an earlier attempt of the same rotation may have added (an answer lost in
    /// transit leaves such an orphan). Returns `slot`'s material, whose secret exists nowhere else.
    func addKey(_ slot: KeySlot, rotationStartedAt: Date) async throws -> AccessKeys
    /// Removes every credential keyrotd made in `slot` (none there is done).
    func retireKey(_ slot: KeySlot) async throws
    /// The material of `slot` around a `secret` the outputs gave back after a restart.
    func material(_ slot: KeySlot, secret: Secret) async throws -> KeyMaterial
}

/// The upstream was asked for something its credentials do not have: a wiring mistake.
public struct CredentialModelMismatch: CodedError, CustomStringConvertible {
    /// The step asked for.
    public var action: String

    /// Creates the error.
    public init(action: String) { self.action = action }

    public var code: String { "internal" }
    public var description: String { "internal: \(action) asked of a provider whose credentials have no such step" }
}
