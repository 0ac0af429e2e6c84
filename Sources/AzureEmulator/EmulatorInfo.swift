import FoundationEssentials

/// What a started emulator tells its user: where it listens and the identity to use.
/// Printed as one JSON line by `keyrotd-emulator`. Holds the client secret by design: it is the
/// emulator's own test identity, never a real one.
public struct EmulatorInfo: Sendable, Codable {
    /// `https://127.0.0.1:PORT` (or http with `--plain-http`).
    public var baseURL: String
    /// The PEM file of the CA that signed the server certificate (nil for plain http).
    public var caFile: String?
    /// The tenant id.
    public var tenant: String
    /// The service principal's client id (Contributor on the subscription).
    public var clientID: String
    /// The service principal's secret.
    public var clientSecret: String
    /// A second principal with read-only access (its writes are refused with AuthorizationFailed).
    public var readerClientID: String
    /// The reader's secret.
    public var readerClientSecret: String
    /// The subscription id.
    public var subscription: String
    /// The resource ids.
    public var resources: [String]
    /// The emulator's Key Vault: its own base URL (the secrets API is at `/secrets/`).
    public var keyVaultURL: String
    /// The Blob Storage account's URL, path-style: `{baseURL}/{account}` (containers below it).
    public var blobServiceURL: String
    /// The account's name.
    public var storageAccount: String
    /// The account's Shared Key (the emulator's own, never a real one).
    public var storageAccountKey: String
    /// The certificate, federated and managed identities.
    public var identities: Identities
    /// The test HTTP CONNECT proxy (`--proxy-port`), if started.
    public var proxyURL: String?
    /// The emulator under a name only the proxy resolves (``proxiedHost``), so a client that
    /// reaches it has demonstrably gone through the proxy; set with ``proxyURL``.
    public var proxiedBaseURL: String?

    /// A host name that is in the server certificate but resolves nowhere: the test proxy maps it to the emulator.
    public static let proxiedHost = "azure.keyrotd-emulator.test"

    /// Where the non-secret identities are and what they are called.
    public struct Identities: Sendable, Codable {
        /// The plain-HTTP metadata listener: IMDS at `/metadata/identity/oauth2/token` (set
        /// `AZURE_POD_IDENTITY_AUTHORITY_HOST` to this), App Service at `/msi/token`, Arc at
        /// `/arc/identity/oauth2/token`.
        public var metadataURL: String
        /// The app registration with a certificate.
        public var certificateClientID: String
        /// Its certificate (PEM).
        public var certificateFile: String
        /// Its private key (PEM).
        public var privateKeyFile: String
        /// The app registration with a federated identity credential.
        public var federatedClientID: String
        /// The projected service account token it trusts.
        public var federatedTokenFile: String
        /// The system-assigned managed identity's client id.
        public var systemAssignedClientID: String
        /// The user-assigned managed identity's client id.
        public var userAssignedClientID: String
        /// Its object id.
        public var userAssignedObjectID: String
        /// Its ARM resource id.
        public var userAssignedResourceID: String
        /// App Service's `IDENTITY_HEADER` value.
        public var appServiceIdentityHeader: String
        /// Where the Arc endpoint writes its challenge files.
        public var arcKeyDirectory: String
        /// The directory holding all of the above.
        public var directory: String
    }

    /// A keyrotd configuration that points at this emulator.
    ///
    /// - Parameters:
    ///   - secretFile: where the client secret is (the caller writes it there, mode 0600).
    ///   - credential: the body of `[credential.emulator]` without the endpoints, instead of the
    ///     client secret one (see ``credentialTable(kind:)``).
    ///   - directory: base for the `secrets` and `state` directories.
    ///   - armWritesPerSecond: keyrotd's write pacing, for an emulator whose budget differs from ARM's.
    ///   - format: the secret files' layout, when not each type's default.
    public func keyrotdConfiguration(
        secretFile: String,
        credential: String? = nil,
        directory: String,
        every: String,
        grace: String,
        jitter: String = "0s",
        strategy: String = "full",
        retryInitial: String = "2s",
        retryMax: String = "30s",
        requestTimeout: String = "30s",
        resourceLimit: Int? = nil,
        armWritesPerSecond: Double? = nil,
        format: String? = nil
    ) -> String {
        var text = """
            # keyrotd configuration generated for the keyrotd emulator at \(baseURL).
            [daemon]
            secrets_dir = "\(directory)/secrets"
            state_dir = "\(directory)/state"
            runtime_dir = "\(directory)/run"
            credentials_dir = "\(directory)/credentials"
            concurrency = 8
            retry_initial = "\(retryInitial)"
            retry_max = "\(retryMax)"
            request_timeout = "\(requestTimeout)"
            \(armWritesPerSecond.map { "arm_writes_per_second = \($0)" } ?? "")

            """
        if let caFile { text += "tls_ca_file = \"\(caFile)\"\n" }
        text += """

            [credential.emulator]
            \(credential ?? "tenant = \"\(tenant)\"\nclient_id = \"\(clientID)\"\nclient_secret_file = \"\(secretFile)\"")
            authority = "\(baseURL)"
            arm_endpoint = "\(baseURL)"
            graph_endpoint = "\(baseURL)"
            scope = "\(baseURL)/.default"

            [defaults]
            strategy = "\(strategy)"
            every = "\(every)"
            grace = "\(grace)"
            jitter = "\(jitter)"
            mode = "0600"
            \(format.map { "format = \"\($0)\"" } ?? "")

            """
        for id in resources.prefix(resourceLimit ?? resources.count) {
            text += "\n[[resource]]\nid = \"\(id)\"\n"
            // Maps and AI Search name no endpoint of their own: theirs is the cloud's, here the emulator's.
            if id.contains("/Microsoft.Maps/") { text += "endpoint = \"\(baseURL)/maps\"\n" }
            if id.contains("/Microsoft.Search/") { text += "endpoint = \"\(baseURL)/search/\(id.split(separator: "/").last ?? "")\"\n" }
        }
        return text
    }

    /// The body of a `[credential.emulator]` table (endpoints excluded) for each way of proving
    /// identity the emulator knows; managed and workload identity also need the environment from
    /// ``environment(kind:)``.
    public func credentialTable(kind: CredentialKind, secretFile: String) -> String {
        switch kind {
        case .clientSecret:
            "tenant = \"\(tenant)\"\nclient_id = \"\(clientID)\"\nclient_secret_file = \"\(secretFile)\""
        case .certificate(let algorithm):
            "tenant = \"\(tenant)\"\nclient_id = \"\(identities.certificateClientID)\"\ncertificate_file = \"\(identities.certificateFile)\"\n"
                + "private_key_file = \"\(identities.privateKeyFile)\"\nassertion_algorithm = \"\(algorithm)\""
        case .workloadIdentity:
            "kind = \"workload-identity\"\ntenant = \"\(tenant)\"\nclient_id = \"\(identities.federatedClientID)\"\ntoken_file = \"\(identities.federatedTokenFile)\""
        case .imds(let userAssigned), .appService(let userAssigned):
            "kind = \"managed-identity\"" + (userAssigned ? "\nclient_id = \"\(identities.userAssignedClientID)\"" : "")
        case .arc:
            "kind = \"managed-identity\""
        case .auto:
            "kind = \"auto\""
        }
    }

    /// The environment a managed or workload identity needs to reach this emulator.
    public func environment(kind: CredentialKind) -> [String: String] {
        switch kind {
        case .imds: ["AZURE_POD_IDENTITY_AUTHORITY_HOST": identities.metadataURL]
        case .appService: ["IDENTITY_ENDPOINT": identities.metadataURL + "/msi/token", "IDENTITY_HEADER": identities.appServiceIdentityHeader]
        case .arc: ["IDENTITY_ENDPOINT": identities.metadataURL + "/arc/identity/oauth2/token", "IMDS_ENDPOINT": identities.metadataURL]
        default: [:]
        }
    }

    /// The ways of proving identity the emulator serves.
    public enum CredentialKind: Sendable, Hashable {
        /// A service principal with a client secret.
        case clientSecret
        /// A service principal with a certificate; "PS256" or "RS256".
        case certificate(String)
        /// A federated service account token.
        case workloadIdentity
        /// IMDS, system- or user-assigned.
        case imds(userAssigned: Bool)
        /// App Service, system- or user-assigned.
        case appService(userAssigned: Bool)
        /// Azure Arc.
        case arc
        /// `kind = "auto"`.
        case auto
    }
}
