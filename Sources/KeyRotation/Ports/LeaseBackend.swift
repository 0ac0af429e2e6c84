/// Where a group's leader lease lives: Blob Storage's lease first; a Kubernetes `Lease` could be
/// another. Nothing outside an implementation of this protocol knows which.
public protocol LeaseBackend: Sendable {
    /// The lease's state now (creating what must exist for a lease to be taken).
    func observe() async throws -> LeaderElection.Observation
    /// Acquires the lease for `duration` with id `proposedID`, naming this node as its holder;
    /// returns the id it holds. Throws ``LeaseConflict`` when another node holds it.
    func acquire(proposedID: String, duration: Duration) async throws -> String
    /// Renews lease `id`. Throws ``LeaseConflict`` when the lease is no longer this id's.
    func renew(id: String) async throws
    /// Releases lease `id`, so another node may take it at once.
    func release(id: String) async throws
}

/// The backend's word that the lease is another node's (or was broken): a leader steps down at
/// once, a candidate goes back to watching.
public struct LeaseConflict: CodedError, Sendable, CustomStringConvertible {
    /// The backend's code (`LeaseAlreadyPresent`, `LeaseIdMismatchWithLeaseOperation` …).
    public var code: String
    /// What the backend said, with its request id.
    public var description: String

    /// Creates the error.
    public init(code: String, description: String) {
        self.code = code
        self.description = description
    }
}
