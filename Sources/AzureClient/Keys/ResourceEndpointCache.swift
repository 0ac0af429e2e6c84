import KeyRotation

/// The endpoints ``ARMKeyProvider``s read with a `GET` (for the types whose answers do not carry
/// one), kept for the daemon's life: one per build of the daemon's providers, shared by them.
public actor ResourceEndpointCache {
    private var endpoints: [ResourceID: ResourceEndpoint] = [:]

    /// Creates an empty cache.
    public init() {}

    /// The endpoint read for `id`, if one was.
    func endpoint(of id: ResourceID) -> ResourceEndpoint? { endpoints[id] }

    /// Keeps `endpoint` as the one of `id`.
    func remember(_ endpoint: ResourceEndpoint, for id: ResourceID) { endpoints[id] = endpoint }
}
