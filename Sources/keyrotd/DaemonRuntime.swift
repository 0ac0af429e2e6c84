import AzureClient
import Foundation
import KeyRotation
import Logging
import SecretFiles

/// Wires a validated configuration into rotators: one HTTP transport, one token cache and ARM client
/// per credential, one provider, publisher and state record per resource.
struct DaemonRuntime {
    let configuration: Configuration
    let transport: AsyncHTTPClientTransport
    let store: JSONStateStore
    let rotators: [ResourceRotator]

    init(configuration: Configuration, clock: any WallClock, logger: Logger, only names: Set<String>? = nil) throws {
        self.configuration = configuration
        let daemon = configuration.daemon
        try AtomicFileWriter.ensureDirectory(daemon.secretsDirectory, mode: 0o750)
        let store = try JSONStateStore(stateDirectory: daemon.stateDirectory)
        let transport = AsyncHTTPClientTransport(extraCAFile: daemon.tlsCAFile)
        var clients: [String: ARMClient] = [:]
        for (name, credential) in configuration.credentials {
            guard case .servicePrincipalSecret(let file) = credential.kind else { continue }
            let tokens = ClientSecretCredential(
                tenant: credential.tenant,
                clientID: credential.clientID,
                secretFile: file,
                authorityHost: credential.authorityHost,
                transport: transport,
                timeout: daemon.requestTimeout
            )
            clients[name] = ARMClient(
                endpoint: credential.armEndpoint,
                scope: credential.scope,
                credential: tokens,
                transport: transport,
                timeout: daemon.requestTimeout,
                logger: logger
            )
        }
        var rotators: [ResourceRotator] = []
        for resource in configuration.resources where names?.contains(resource.name) ?? true {
            guard let client = clients[resource.credential] else { continue }
            rotators.append(
                try ResourceRotator(
                    name: resource.name,
                    resourceID: resource.id,
                    policy: RotationPolicy(resource, daemon: daemon),
                    provider: ACSKeyProvider(client: client, id: resource.id, apiVersion: resource.apiVersion),
                    publisher: try SecretFilePublisher(resource: resource, directory: daemon.secretsDirectory),
                    store: store,
                    clock: clock,
                    logger: logger
                )
            )
        }
        self.transport = transport
        self.store = store
        self.rotators = rotators
    }

    /// Closes the HTTP connection pool.
    func shutdown() async {
        try? await transport.shutdown()
    }
}

/// Logging set-up shared by the commands.
enum LogSetup {
    /// Sends swift-log output to standard error at `level`.
    static func bootstrap(level: String) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
    }
}
