import AzureClient
import Foundation
import KeyRotation
import Logging
import SecretFiles
import Systemd

/// Wires a validated configuration into rotators: one HTTP transport, one token cache and ARM client
/// per credential, one provider, publisher and state record per resource. On reload it builds only
/// what changed and hands unchanged resources their running rotator back.
actor DaemonRuntime {
    /// The configuration in force.
    private(set) var configuration: Configuration
    /// The shared HTTP client.
    let transport: AsyncHTTPClientTransport
    /// The state records.
    let store: JSONStateStore
    private let clock: any WallClock
    private let logger: Logger
    private var clients: [String: (CredentialConfiguration, ARMClient)] = [:]
    private var rotators: [String: (ResourceConfiguration, ResourceRotator)] = [:]

    /// Builds everything for `configuration` (only the resources in `names`, when given); `progress` is called every 1,000 resources.
    init(
        configuration: Configuration,
        clock: any WallClock,
        logger: Logger,
        only names: Set<String>? = nil,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws {
        self.configuration = configuration
        self.clock = clock
        self.logger = logger
        let daemon = configuration.daemon
        try AtomicFileWriter.ensureDirectory(daemon.secretsDirectory, mode: 0o750)
        self.store = try JSONStateStore(stateDirectory: daemon.stateDirectory)
        self.transport = AsyncHTTPClientTransport(extraCAFile: daemon.tlsCAFile)
        var selected = configuration
        selected.resources = configuration.resources.filter { names?.contains($0.name) ?? true }
        let (clients, rotators) = try await Self.build(
            selected,
            previous: ([:], [:]),
            transport: transport,
            store: store,
            clock: clock,
            logger: logger,
            progress: progress
        )
        self.clients = clients
        self.rotators = rotators
    }

    /// The rotators, in configuration order.
    var currentRotators: [ResourceRotator] { configuration.resources.compactMap { rotators[$0.name]?.1 } }

    /// Validates and applies the configuration at `path`; throws (changing nothing) when it is not usable.
    func reload(path: String) async throws -> [ResourceRotator] {
        let (next, _) = try ConfigurationLoader().load(path: path)
        let old = configuration.daemon
        guard next.daemon.stateDirectory == old.stateDirectory, next.daemon.secretsDirectory == old.secretsDirectory,
            next.daemon.tlsCAFile == old.tlsCAFile
        else {
            throw ReloadRefused(reason: "state_dir, secrets_dir and tls_ca_file take effect only after a restart")
        }
        let (clients, rotators) = try await Self.build(
            next,
            previous: (self.clients, self.rotators),
            transport: transport,
            store: store,
            clock: clock,
            logger: logger
        )
        self.configuration = next
        self.clients = clients
        self.rotators = rotators
        return currentRotators
    }

    /// Closes the HTTP connection pool.
    func shutdown() async {
        try? await transport.shutdown()
    }

    private static func build(
        _ configuration: Configuration,
        previous: ([String: (CredentialConfiguration, ARMClient)], [String: (ResourceConfiguration, ResourceRotator)]),
        transport: AsyncHTTPClientTransport,
        store: JSONStateStore,
        clock: any WallClock,
        logger: Logger,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> ([String: (CredentialConfiguration, ARMClient)], [String: (ResourceConfiguration, ResourceRotator)]) {
        let daemon = configuration.daemon
        var clients: [String: (CredentialConfiguration, ARMClient)] = [:]
        for (name, credential) in configuration.credentials {
            if let (old, client) = previous.0[name], old == credential {
                clients[name] = (credential, client)
                continue
            }
            guard case .servicePrincipalSecret(let file) = credential.kind else { continue }
            let tokens = ClientSecretCredential(
                tenant: credential.tenant,
                clientID: credential.clientID,
                secretFile: file,
                authorityHost: credential.authorityHost,
                transport: transport,
                timeout: daemon.requestTimeout
            )
            let client = ARMClient(
                endpoint: credential.armEndpoint,
                scope: credential.scope,
                credential: tokens,
                transport: transport,
                timeout: daemon.requestTimeout,
                logger: logger
            )
            clients[name] = (credential, client)
        }
        var rotators: [String: (ResourceConfiguration, ResourceRotator)] = [:]
        for (index, resource) in configuration.resources.enumerated() {
            guard let (credential, client) = clients[resource.credential] else { continue }
            let policy = RotationPolicy(resource, daemon: daemon)
            if let (old, rotator) = previous.1[resource.name], old == resource, previous.0[resource.credential]?.0 == credential {
                await rotator.update(policy: policy)
                rotators[resource.name] = (resource, rotator)
                continue
            }
            let rotator = try ResourceRotator(
                name: resource.name,
                resourceID: resource.id,
                policy: policy,
                provider: ACSKeyProvider(client: client, id: resource.id, apiVersion: resource.apiVersion),
                publisher: try SecretFilePublisher(resource: resource, directory: daemon.secretsDirectory),
                store: store,
                clock: clock,
                logger: logger
            )
            rotators[resource.name] = (resource, rotator)
            if index % 1000 == 999 { progress(index + 1) }
        }
        return (clients, rotators)
    }
}
