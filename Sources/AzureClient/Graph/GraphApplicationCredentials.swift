import KeyRotation

/// One application's credentials read through Microsoft Graph, for the expiry watch.
public struct GraphApplicationCredentials: ApplicationCredentialSource {
    private let graph: GraphClient
    private let reference: ApplicationReference

    /// Reads `reference` with `graph`.
    public init(graph: GraphClient, reference: ApplicationReference) {
        self.graph = graph
        self.reference = reference
    }

    public func credentials() async throws -> [ApplicationCredential] {
        try await graph.application(reference).credentials
    }
}
