import KeyRotation

/// The ``KeyProvider`` of one ACS resource, through ARM.
public struct ACSKeyProvider: KeyProvider {
    private let client: ARMClient
    private let id: ResourceID
    private let apiVersion: String

    /// Creates the provider of resource `id`.
    public init(client: ARMClient, id: ResourceID, apiVersion: String) {
        self.client = client
        self.id = id
        self.apiVersion = apiVersion
    }

    public func listKeys() async throws -> AccessKeys {
        try await client.listKeys(id, apiVersion: apiVersion)
    }

    public func regenerateKey(_ slot: KeySlot) async throws -> AccessKeys {
        try await client.regenerateKey(id, slot: slot, apiVersion: apiVersion)
    }
}
