import FoundationEssentials
import KeyRotation

/// Workload identity (AKS and other federated issuers): the service account token in a file is
/// the client assertion. The file is read for every token request because kubelet replaces it
/// about hourly; a cached copy would eventually be refused as expired.
public struct WorkloadIdentitySource: TokenSource {
    private let endpoint: EntraTokenEndpoint
    private let tokenFile: String

    /// Creates the source.
    public init(endpoint: EntraTokenEndpoint, tokenFile: String) {
        self.endpoint = endpoint
        self.tokenFile = tokenFile
    }

    public var name: String { "workload identity \(endpoint.clientID)" }

    public func fetchToken(scope: String, claims: String?) async throws -> AccessToken {
        let assertion = try SecretFileReader.read(tokenFile, what: "federated token", source: name)
        return try await endpoint.requestToken(
            scope: scope,
            claims: claims,
            proof: [("client_assertion_type", EntraTokenEndpoint.jwtBearer), ("client_assertion", assertion.exposedValue)],
            proofKind: "federated token"
        )
    }
}
