import FoundationEssentials
import KeyRotation

extension CachedCredential {
    /// The transports a credential needs.
    public struct Transports: Sendable {
        /// For Entra ID: TLS verified, through the configured proxy.
        public var entra: any HTTPTransport
        /// For managed identity endpoints: no proxy, plain HTTP allowed to link-local addresses.
        public var metadata: any HTTPTransport

        /// Creates the pair.
        public init(entra: any HTTPTransport, metadata: any HTTPTransport) {
            self.entra = entra
            self.metadata = metadata
        }
    }

    /// The credential a `[credential.NAME]` table describes. `environment` supplies what the
    /// Azure conventions put there (`AZURE_*`, `IDENTITY_*`); it is read once, here.
    ///
    /// - Parameters:
    ///   - sleep: waits out retry delays (the daemon's timer, a test's script).
    ///   - arcKeyDirectory: where Arc challenge files may be; tests point it elsewhere.
    public init(
        configuration: CredentialConfiguration,
        environment: [String: String],
        transports: Transports,
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        requestTimeout: Duration = .seconds(30),
        arcKeyDirectory: String = ManagedIdentitySource.arcKeyDirectory
    ) throws {
        // AZURE_AUTHORITY_HOST moves only workload identity and environment credentials, as in azure-identity.
        let environmentAuthority =
            environment["AZURE_AUTHORITY_HOST"].flatMap { $0.isEmpty ? nil : URL(string: $0) } ?? configuration.authorityHost
        func endpoint(tenant: String, clientID: String, authorityHost: URL) throws -> EntraTokenEndpoint {
            try EntraTokenEndpoint(
                authorityHost: authorityHost,
                tenant: tenant,
                clientID: clientID,
                transport: transports.entra,
                timeout: requestTimeout,
                sleep: sleep
            )
        }
        func workloadIdentity(tenant: String?, clientID: String?, tokenFile: String?) -> ChainedTokenSource.Link {
            let name = "workload identity"
            guard let file = tokenFile ?? environment["AZURE_FEDERATED_TOKEN_FILE"], !file.isEmpty else {
                return .unavailable(name, reason: "AZURE_FEDERATED_TOKEN_FILE is not set")
            }
            guard let tenant = tenant ?? environment["AZURE_TENANT_ID"], !tenant.isEmpty else {
                return .unavailable(name, reason: "no tenant: set tenant or AZURE_TENANT_ID")
            }
            guard let clientID = clientID ?? environment["AZURE_CLIENT_ID"], !clientID.isEmpty else {
                return .unavailable(name, reason: "no client id: set client_id or AZURE_CLIENT_ID")
            }
            do {
                return .available(
                    WorkloadIdentitySource(
                        endpoint: try endpoint(tenant: tenant, clientID: clientID, authorityHost: environmentAuthority),
                        tokenFile: file
                    )
                )
            } catch {
                return .unavailable(name, reason: "\(error)")
            }
        }
        func managedIdentity(_ identity: CredentialConfiguration.UserAssignedIdentity?) -> ChainedTokenSource.Link {
            do {
                let location = try ManagedIdentitySource.endpoint(environment: environment, arcKeyDirectory: arcKeyDirectory)
                return .available(ManagedIdentitySource(endpoint: location, identity: identity, transport: transports.metadata, sleep: sleep))
            } catch {
                return .unavailable("managed identity", reason: "\(error)")
            }
        }

        let source: any TokenSource
        switch configuration.kind {
        case .clientSecret(let file):
            let tenant = configuration.tenant ?? "", clientID = configuration.clientID ?? ""
            source = ClientSecretSource(
                endpoint: try endpoint(tenant: tenant, clientID: clientID, authorityHost: configuration.authorityHost),
                secretFile: file,
                rotatedFile: configuration.rotatedSecretFile
            )
        case .clientCertificate(let certificateFile, let privateKeyFile, let algorithm):
            let tenant = configuration.tenant ?? "", clientID = configuration.clientID ?? ""
            source = ClientCertificateSource(
                endpoint: try endpoint(tenant: tenant, clientID: clientID, authorityHost: configuration.authorityHost),
                certificateFile: certificateFile,
                privateKeyFile: privateKeyFile,
                algorithm: algorithm
            )
        case .workloadIdentity(let tokenFile):
            switch workloadIdentity(tenant: configuration.tenant, clientID: configuration.clientID, tokenFile: tokenFile) {
            case .available(let wi): source = wi
            case .unavailable(let name, let reason): throw CredentialError(source: name, problem: reason)
            }
        case .managedIdentity(let identity):
            switch managedIdentity(identity) {
            case .available(let mi): source = mi
            case .unavailable(let name, let reason): throw CredentialError(source: name, problem: reason)
            }
        case .auto:
            source = ChainedTokenSource([
                Self.environmentServicePrincipal(
                    environment: environment,
                    authority: environmentAuthority,
                    transports: transports,
                    timeout: requestTimeout,
                    sleep: sleep
                ),
                workloadIdentity(tenant: nil, clientID: nil, tokenFile: nil),
                managedIdentity(environment["AZURE_CLIENT_ID"].flatMap { $0.isEmpty ? nil : .clientID($0) }),
            ])
        }
        self.init(source: source)
    }

    /// azure-identity's EnvironmentCredential: `AZURE_TENANT_ID`, `AZURE_CLIENT_ID` and either
    /// `AZURE_CLIENT_SECRET` or `AZURE_CLIENT_CERTIFICATE_PATH` (a PEM with certificate and key).
    private static func environmentServicePrincipal(
        environment: [String: String],
        authority: URL,
        transports: Transports,
        timeout: Duration,
        sleep: @escaping @Sendable (Duration) async throws -> Void
    ) -> ChainedTokenSource.Link {
        let name = "environment service principal"
        let value = { (key: String) in environment[key].flatMap { $0.isEmpty ? nil : $0 } }
        guard let tenant = value("AZURE_TENANT_ID"), let clientID = value("AZURE_CLIENT_ID") else {
            return .unavailable(name, reason: "AZURE_TENANT_ID and AZURE_CLIENT_ID are not both set")
        }
        let secret = value("AZURE_CLIENT_SECRET"), certificate = value("AZURE_CLIENT_CERTIFICATE_PATH")
        guard secret != nil || certificate != nil else {
            return .unavailable(name, reason: "neither AZURE_CLIENT_SECRET nor AZURE_CLIENT_CERTIFICATE_PATH is set")
        }
        do {
            let endpoint = try EntraTokenEndpoint(
                authorityHost: authority,
                tenant: tenant,
                clientID: clientID,
                transport: transports.entra,
                timeout: timeout,
                sleep: sleep
            )
            if let secret { return .available(ClientSecretSource(endpoint: endpoint, secret: Secret(secret))) }
            return .available(
                ClientCertificateSource(endpoint: endpoint, certificateFile: certificate!, privateKeyFile: certificate!, algorithm: .ps256)
            )
        } catch {
            return .unavailable(name, reason: "\(error)")
        }
    }
}
