import AzureClient
import ConfigurationFile
import DaemonExecutor
import Follower
import FoundationEssentials
import Hooks
import KeyRotation
import Logging
import SecretFiles
import SystemPackage
import Systemd

/// Wires a validated configuration into rotators and followers: one HTTP transport, one token cache
/// and ARM client per credential, one provider, publisher and state record per resource, one Key
/// Vault client and record per follower. On reload it builds only what changed and hands unchanged
/// resources their running rotator (and unchanged followers theirs) back.
actor DaemonRuntime {
    /// The configuration in force.
    private(set) var configuration: Configuration
    /// The shared HTTP client for Entra ID and ARM (through the proxy, if any).
    private let transport: AsyncHTTPClientTransport
    /// The HTTP client for managed identity endpoints: never proxied.
    private let metadataTransport: AsyncHTTPClientTransport
    /// ARM's request budgets (per subscription, credential and kind), shared by every credential's client.
    private let budgets: ARMBudgets
    /// Every ARM request and its answer, counted for the metrics file.
    let tally = ARMTally()
    /// Key Vault's budgets of secret creations, one per vault, shared by every Key Vault output.
    private let vaultBudgets = ARMBudgets(writes: KeyVaultClient.writeLimits)
    private var transports: CachedCredential.Transports { .init(entra: transport, metadata: metadataTransport) }
    /// The state records.
    let store: JSONStateStore
    /// The followers' records.
    private let followerStore: JSONStateStore
    private let clock: any WallClock
    private let logger: Logger
    private var clients: [String: (CredentialConfiguration, ARMClient)] = [:]
    /// The resources' rotators, in configuration order. Their configurations are looked up in
    /// ``configuration`` when needed (a reload), not kept a second time, nor is a table by name: at
    /// 10,000 resources each costs megabytes.
    private(set) var currentRotators: [ResourceRotator] = []
    /// Each follower with the configuration it was built from.
    private var followers: [String: (FollowConfiguration, SecretFollower)] = [:]

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
        self.followerStore = try JSONStateStore(stateDirectory: daemon.stateDirectory, kind: "followers")
        let environment = ProcessInfo.processInfo.environment
        let proxy = try ProxyConfiguration(environment: environment)
        if let proxy { logger.info("Using the HTTPS proxy from HTTPS_PROXY", metadata: .fields([.proxy: .string(proxy.summary)])) }
        self.transport = AsyncHTTPClientTransport(extraCAFile: daemon.tlsCAFile, proxy: proxy, connectionsPerHost: daemon.concurrency)
        self.metadataTransport = AsyncHTTPClientTransport(metadata: true)
        self.budgets = ARMBudgets(writes: .init(burst: daemon.armWriteBurst, perSecond: daemon.armWritesPerSecond))
        var selected = configuration
        selected.resources = configuration.resources.filter { names?.contains($0.name) ?? true }
        if names != nil { selected.follows = [] }
        let (clients, rotators, followers) = try await Self.build(
            selected,
            previous: Built(clients: [:], rotators: [:], followers: [:], daemonHook: nil),
            transports: transports,
            budgets: budgets,
            tally: tally,
            vaultBudgets: vaultBudgets,
            store: store,
            followerStore: followerStore,
            clock: clock,
            logger: logger,
            progress: progress
        )
        self.clients = clients
        self.currentRotators = configuration.resources.compactMap { rotators[$0.name] }
        self.followers = followers
    }

    /// The followers, in configuration order.
    var currentFollowers: [SecretFollower] { configuration.follows.compactMap { followers[$0.name]?.1 } }

    /// Validates and applies the configuration at `path`; throws (changing nothing) when it is not usable.
    func reload(path: String) async throws -> [ResourceRotator] {
        let (next, _) = try ConfigurationLoader().load(path: path)
        let old = configuration.daemon
        let waiting = ConfigurationSchema.restartRequired(from: old, to: next.daemon)
        guard waiting.isEmpty else {
            let names = waiting.map { "[daemon] \($0.name)" }.joined(separator: ", ")
            throw ReloadRefused(reason: "\(names) changed, which only a start applies: restart keyrotd to apply (systemctl restart keyrotd)")
        }
        let current = Dictionary(uniqueKeysWithValues: currentRotators.map { ($0.name, $0) })
        let (clients, rotators, followers) = try await Self.build(
            next,
            previous: Built(
                clients: self.clients,
                rotators: Dictionary(
                    uniqueKeysWithValues: configuration.resources.compactMap { r in current[r.name].map { (r.name, (r, $0)) } }
                ),
                followers: self.followers,
                daemonHook: old.onPublish
            ),
            transports: transports,
            budgets: budgets,
            tally: tally,
            vaultBudgets: vaultBudgets,
            store: store,
            followerStore: followerStore,
            clock: clock,
            logger: logger
        )
        self.configuration = next
        self.clients = clients
        self.currentRotators = next.resources.compactMap { rotators[$0.name] }
        self.followers = followers
        return currentRotators
    }

    /// What each subscription's ARM write budget holds now: the smallest of its buckets when
    /// several credentials write to it.
    func writeBudgetRemaining() async -> [String: Double] {
        await budgets.remaining(.write).reduce(into: [:]) { result, bucket in
            result[bucket.key.subscription] = min(result[bucket.key.subscription] ?? .infinity, bucket.value)
        }
    }

    /// Closes the HTTP connection pool.
    func shutdown() async {
        try? await transport.shutdown()
        try? await metadataTransport.shutdown()
    }

    /// Closes the HTTP clients, waiting at most `limit`: a connection to a hanging server waits for
    /// TLS's close_notify (5 s) and a connection attempt in flight for its timeout (10 s), and a stop
    /// must not. Nothing durable depends on it: every file and record is written before this.
    /// Returns whether the clients closed in time.
    func shutdown(within limit: Duration) async -> Bool {
        let (outcome, continuation) = AsyncStream.makeStream(of: Bool.self)
        Task {
            await shutdown()
            continuation.yield(true)
        }
        Task {
            try? await DaemonExecutor.sleep(for: limit)
            continuation.yield(false)
        }
        return await outcome.first { _ in true } ?? false
    }

    /// What a previous build made, for reuse by the next: rotators with the configuration they were built from.
    private struct Built {
        var clients: [String: (CredentialConfiguration, ARMClient)]
        var rotators: [String: (ResourceConfiguration, ResourceRotator)]
        var followers: [String: (FollowConfiguration, SecretFollower)]
        var daemonHook: HookCommand?
    }

    /// The secret file writer of `resource`, then its Key Vault outputs (`vaults`), wrapped in hook
    /// delivery when it or `[daemon]` has an `on_publish`: hooks run once every output holds the key.
    private static func publisher(
        _ resource: ResourceConfiguration,
        daemon: DaemonSettings,
        vaults: [KeyVaultPublisher.Target],
        logger: Logger
    ) throws -> any SecretPublisher {
        var outputs: any SecretPublisher = try SecretFilePublisher(resource: resource, directory: daemon.secretsDirectory)
        if !vaults.isEmpty {
            outputs = KeyVaultPublisher(inner: outputs, targets: vaults, resource: resource.name, logger: logger)
        }
        let hooks = [resource.onPublish, daemon.onPublish].compactMap { $0 }
        if hooks.isEmpty { return outputs }
        return DeliveringPublisher(
            inner: outputs,
            hooks: hooks,
            runner: SubprocessHookRunner(executor: DaemonExecutor.taskExecutor, sleep: DaemonExecutor.sleep(for:)),
            resource: resource.name,
            file: FilePath(daemon.secretsDirectory).appending(resource.output).string,
            logger: logger
        )
    }

    /// The data-plane check of new keys, when the resource asks for one (`verify = true`).
    private static func verifier(_ resource: ResourceConfiguration, transport: any HTTPTransport, tlsCAFile: String?, logger: Logger)
        -> DataPlaneKeyVerifier?
    {
        guard resource.verify else { return nil }
        var logger = logger
        logger[field: .resource] = .string(resource.name)
        return DataPlaneKeyVerifier(
            client: DataPlaneClient(transport: transport, extraCAFile: tlsCAFile, sleep: DaemonExecutor.sleep(for:)),
            id: resource.id,
            sleep: DaemonExecutor.sleep(for:),
            logger: logger
        )
    }

    /// The consumers that must confirm a published key, when the resource lists any; followers
    /// confirm on `vaults`, the resource's Key Vault outputs.
    private static func confirmations(_ resource: ResourceConfiguration, vaults: [KeyVaultPublisher.Target]) -> ConsumerConfirmations? {
        guard !resource.confirmAckFiles.isEmpty || resource.confirmCommand != nil || !resource.confirmFollowers.isEmpty else { return nil }
        return ConsumerConfirmations(
            ackFiles: resource.confirmAckFiles,
            command: resource.confirmCommand,
            followers: resource.confirmFollowers,
            runner: SubprocessHookRunner(executor: DaemonExecutor.taskExecutor, sleep: DaemonExecutor.sleep(for:)),
            followerSource: KeyVaultFollowerConfirmations(targets: vaults)
        )
    }

    private static func build(
        _ configuration: Configuration,
        previous: Built,
        transports: CachedCredential.Transports,
        budgets: ARMBudgets,
        tally: ARMTally,
        vaultBudgets: ARMBudgets,
        store: JSONStateStore,
        followerStore: JSONStateStore,
        clock: any WallClock,
        logger: Logger,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> (
        [String: (CredentialConfiguration, ARMClient)], [String: ResourceRotator], [String: (FollowConfiguration, SecretFollower)]
    ) {
        let daemon = configuration.daemon
        var clients: [String: (CredentialConfiguration, ARMClient)] = [:]
        for (name, credential) in configuration.credentials {
            if let (old, client) = previous.clients[name], old == credential {
                clients[name] = (credential, client)
                continue
            }
            let tokens = try CachedCredential(
                configuration: credential,
                environment: ProcessInfo.processInfo.environment,
                transports: transports,
                sleep: DaemonExecutor.sleep(for:),
                requestTimeout: daemon.requestTimeout,
                arcKeyDirectory: TestFaults.arcKeyDirectory ?? ManagedIdentitySource.arcKeyDirectory
            )
            logger.debug("Credential ready", metadata: .fields([.credential: .string(name), .identity: .string(tokens.sourceName)]))
            let client = ARMClient(
                endpoint: credential.armEndpoint,
                scope: credential.scope,
                credential: tokens,
                transport: transports.entra,
                timeout: daemon.requestTimeout,
                sleep: DaemonExecutor.sleep(for:),
                budgets: budgets,
                tally: tally,
                logger: logger
            )
            clients[name] = (credential, client)
        }
        func vaultClient(_ url: URL, _ client: ARMClient) -> KeyVaultClient {
            KeyVaultClient(
                vaultURL: url,
                credential: client.credential,
                transport: transports.entra,
                timeout: daemon.requestTimeout,
                sleep: DaemonExecutor.sleep(for:),
                budgets: vaultBudgets,
                logger: logger
            )
        }
        var rotators: [String: ResourceRotator] = [:]
        let environment = RotatorEnvironment(store: store, clock: clock, logger: logger)
        var policies: Set<RotationPolicy> = []
        let endpoints = ResourceEndpointCache()
        for (index, resource) in configuration.resources.enumerated() {
            guard let (credential, client) = clients[resource.credential] else { continue }
            let policy = RotationPolicy(resource, daemon: daemon).interned(in: &policies)
            if let (old, rotator) = previous.rotators[resource.name], old == resource, previous.clients[resource.credential]?.0 == credential,
                previous.daemonHook == daemon.onPublish
            {
                await rotator.update(policy: policy)
                rotators[resource.name] = rotator
                continue
            }
            let vaults = resource.keyVaultOutputs.map { KeyVaultPublisher.Target(output: $0, client: vaultClient($0.vault, client)) }
            let rotator = try ResourceRotator(
                name: resource.name,
                resourceID: resource.id,
                policy: policy,
                provider: ARMKeyProvider(
                    client: client,
                    id: resource.id,
                    pair: resource.keyPair,
                    apiVersion: resource.apiVersion,
                    cloud: credential.cloud,
                    endpoint: resource.endpoint,
                    endpoints: endpoints
                ),
                publisher: try publisher(resource, daemon: daemon, vaults: vaults, logger: logger),
                verifier: verifier(resource, transport: transports.entra, tlsCAFile: daemon.tlsCAFile, logger: logger),
                confirmations: confirmations(resource, vaults: vaults),
                environment: environment
            )
            rotators[resource.name] = rotator
            if index % 1000 == 999 { progress(index + 1) }
        }
        var followers: [String: (FollowConfiguration, SecretFollower)] = [:]
        for follow in configuration.follows {
            guard let (credential, client) = clients[follow.credential] else { continue }
            if let (old, follower) = previous.followers[follow.name], old == follow, previous.clients[follow.credential]?.0 == credential,
                previous.daemonHook == daemon.onPublish
            {
                followers[follow.name] = (follow, follower)
                continue
            }
            let follower = try SecretFollower(
                configuration: follow,
                vault: vaultClient(follow.vault, client),
                directory: daemon.secretsDirectory,
                daemonHook: daemon.onPublish,
                runner: SubprocessHookRunner(executor: DaemonExecutor.taskExecutor, sleep: DaemonExecutor.sleep(for:)),
                store: followerStore,
                clock: clock,
                logger: logger
            )
            followers[follow.name] = (follow, follower)
        }
        return (clients, rotators, followers)
    }
}
