import AzureClient
import Follower
import FoundationEssentials
import Hooks
import KeyRotation
import Logging
import SecretFiles
import SystemPackage

/// What every build of the daemon's rotators and followers shares, made once at start and reused
/// by each reload: the HTTP clients, ARM's and Key Vault's budgets, the request tally, the state
/// stores, the clock, the daemon's timer, the hook runner and the logger. ``build(_:reusing:progress:)``
/// turns a configuration into one token cache and ARM client per credential, one provider,
/// publisher and state record per resource and one Key Vault client and record per follower,
/// handing unchanged entries what the previous build made.
struct DaemonWiring: Sendable {
    /// Entra ID and ARM (through the proxy, if any), and the managed identity endpoints (never proxied).
    let transports: CachedCredential.Transports
    /// ARM's request budgets (per subscription, credential and kind), shared by every credential's client.
    let budgets: ARMBudgets
    /// Every ARM request and its answer, counted for the metrics file.
    let tally: ARMTally
    /// Key Vault's budgets of secret creations, one per vault, shared by every Key Vault output.
    let vaultBudgets: ARMBudgets
    /// The resources' state records.
    let store: JSONStateStore
    /// The followers' records.
    let followerStore: JSONStateStore
    /// Rotation times.
    let clock: any WallClock
    /// Retry delays and timeouts.
    let sleep: @Sendable (Duration) async throws -> Void
    /// Every `on_publish` hook and consumer check.
    let hookRunner: SubprocessHookRunner
    /// The daemon's logger.
    let logger: Logger

    /// A leadership of a high-availability group, which the rotators act for: its journal as
    /// their store, its coordinator as the guard of every change to Azure, its epoch on what
    /// they publish.
    struct Leadership: Sendable {
        /// The records found at takeover, saved through the journal.
        let store: any StateStore
        /// The coordinator, asked before each change.
        let mutationGuard: any MutationGuard
        /// The leadership's epoch.
        let epoch: Int
    }

    /// What a build made, kept for the next.
    struct Built: Sendable {
        /// The configuration it was made from.
        let configuration: Configuration
        /// Each credential's ARM client with the configuration it was made from.
        let clients: [String: (CredentialConfiguration, ARMClient)]
        /// The resources' rotators, in configuration order: no table by name is kept, which at
        /// 10,000 resources costs megabytes.
        let rotators: [ResourceRotator]
        /// Each follower with the configuration it was made from.
        let followers: [String: (FollowConfiguration, SecretFollower)]
        /// The leadership the clients and rotators act for, if any.
        let epoch: Int?
        /// Every `[[application]]`, rotated or only watched, for the expiry watch.
        let applications: [WatchedApplication]
    }

    /// Builds `configuration`'s rotators and followers; a credential, resource or follower whose
    /// configuration (and `[daemon]` hook) is unchanged since `previous` keeps what `previous` made,
    /// running steps and all. In a high-availability group, a standby (`rotating` false) builds
    /// no rotators, and a leader's (`leadership`) act through its journal and guard; nothing is
    /// kept across a change of leadership. `progress` is called every 1,000 resources.
    func build(
        _ configuration: Configuration,
        reusing previous: Built?,
        leadership: Leadership? = nil,
        rotating: Bool = true,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws -> Built {
        let daemon = configuration.daemon
        let sameLeadership = previous?.epoch == leadership?.epoch
        let transport: any HTTPTransport =
            leadership.map { TestPausePoint.wrap(GuardedTransport(transports.entra, guard: $0.mutationGuard)) } ?? transports.entra
        var clients: [String: (CredentialConfiguration, ARMClient)] = [:]
        for (name, credential) in configuration.credentials {
            if let (old, client) = previous?.clients[name], old == credential, sameLeadership {
                clients[name] = (credential, client)
                continue
            }
            let tokens = try CachedCredential(
                configuration: credential,
                environment: ProcessInfo.processInfo.environment,
                transports: transports,
                sleep: sleep,
                requestTimeout: daemon.requestTimeout,
                arcKeyDirectory: TestFaults.arcKeyDirectory ?? ManagedIdentitySource.arcKeyDirectory
            )
            logger.debug("Credential ready", metadata: .fields([.credential: .string(name), .identity: .string(tokens.sourceName)]))
            let client = ARMClient(
                endpoint: credential.armEndpoint,
                scope: credential.scope,
                credential: tokens,
                transport: transport,
                timeout: daemon.requestTimeout,
                sleep: sleep,
                budgets: budgets,
                tally: tally,
                logger: logger
            )
            clients[name] = (credential, client)
        }
        // A follower's tags are no change a leadership guards: every node, standby or not, confirms.
        func vaultClient(_ url: URL, _ client: ARMClient, guarded: Bool = true) -> KeyVaultClient {
            KeyVaultClient(
                vaultURL: url,
                credential: client.credential,
                transport: guarded ? transport : transports.entra,
                timeout: daemon.requestTimeout,
                sleep: sleep,
                budgets: vaultBudgets,
                logger: logger
            )
        }
        // The previous build's rotators with the configuration each was built from.
        let previousRotators = Dictionary(uniqueKeysWithValues: previous?.rotators.map { ($0.name, $0) } ?? [])
        let previousResources = Dictionary(
            (previous?.configuration.resources ?? []).map { ($0.name, $0) },
            uniquingKeysWith: { first, _ in first }
        )
        let previousHook = previous?.configuration.daemon.onPublish
        var rotators: [ResourceRotator] = []
        rotators.reserveCapacity(configuration.resources.count)
        let environment = RotatorEnvironment(
            store: leadership?.store ?? store,
            clock: clock,
            logger: logger,
            mutationGuard: leadership?.mutationGuard,
            mutationHorizon: daemon.requestTimeout
        )
        // keyrotd's own secret is rotated outside leadership: every node, with its local records.
        let ownEnvironment = RotatorEnvironment(store: store, clock: clock, logger: logger, mutationHorizon: daemon.requestTimeout)
        var policies: Set<RotationPolicy> = []
        let endpoints = ResourceEndpointCache()
        for (index, resource) in configuration.resources.enumerated() where rotating || resource.application?.ownCredential != nil {
            guard let (credential, client) = clients[resource.credential] else { continue }
            let own = resource.application?.ownCredential != nil
            let policy = RotationPolicy(resource, daemon: daemon).interned(in: &policies)
            if let rotator = previousRotators[resource.name], previousResources[resource.name] == resource,
                previous?.clients[resource.credential]?.0 == credential, previousHook == daemon.onPublish, sameLeadership || own
            {
                await rotator.update(policy: policy)
                rotators.append(rotator)
                continue
            }
            let provider: any KeyProvider
            let verifier: (any KeyVerifier)?
            switch resource.target {
            case .arm(let id):
                provider = ARMKeyProvider(
                    client: client,
                    id: id,
                    pair: resource.keyPair,
                    apiVersion: resource.apiVersion,
                    cloud: credential.cloud,
                    endpoint: resource.endpoint,
                    endpoints: endpoints
                )
                verifier = dataPlaneVerifier(resource, id: id, tlsCAFile: daemon.tlsCAFile)
            case .application(let application):
                // A watched application has no rotator: the expiry watch reads it.
                guard application.rotate else { continue }
                (provider, verifier) = try applicationParts(
                    resource.name,
                    application,
                    credential: credential,
                    client: client,
                    transport: own ? transports.entra : transport,
                    node: own ? daemon.highAvailability?.node : nil,
                    // The published certificate signs the next proof; the bootstrap, the first.
                    proofFiles: [FilePath(daemon.secretsDirectory).appending(resource.output).string] + [application.proofFile].compactMap { $0 },
                    timeout: daemon.requestTimeout
                )
            }
            if own {
                // The credentials directory is the one output; no hook or confirmation sees the secret.
                try AtomicFileWriter.ensurePrivateDirectory(daemon.credentialsDirectory)
                let rotator = try ResourceRotator(
                    name: resource.name,
                    recordID: resource.target.recordID,
                    policy: policy,
                    provider: provider,
                    publisher: try SecretFilePublisher(resource: resource, directory: daemon.credentialsDirectory),
                    verifier: verifier,
                    environment: ownEnvironment
                )
                rotators.append(rotator)
                continue
            }
            let vaults = resource.keyVaultOutputs.map { KeyVaultPublisher.Target(output: $0, client: vaultClient($0.vault, client)) }
            let rotator = try ResourceRotator(
                name: resource.name,
                recordID: resource.target.recordID,
                policy: policy,
                provider: provider,
                publisher: try publisher(resource, daemon: daemon, vaults: vaults, epoch: leadership?.epoch),
                verifier: verifier,
                confirmations: confirmations(resource, vaults: vaults),
                environment: environment
            )
            rotators.append(rotator)
            if index % 1000 == 999 { progress(index + 1) }
        }
        var followers: [String: (FollowConfiguration, SecretFollower)] = [:]
        for follow in configuration.allFollows {
            guard let (credential, client) = clients[follow.credential] else { continue }
            if let (old, follower) = previous?.followers[follow.name], old == follow, previous?.clients[follow.credential]?.0 == credential,
                previousHook == daemon.onPublish
            {
                followers[follow.name] = (follow, follower)
                continue
            }
            let follower = try SecretFollower(
                configuration: follow,
                vault: vaultClient(follow.vault, client, guarded: false),
                directory: daemon.secretsDirectory,
                daemonHook: daemon.onPublish,
                runner: hookRunner,
                store: followerStore,
                clock: clock,
                logger: logger
            )
            followers[follow.name] = (follow, follower)
        }
        // Every node watches, leader or standby: reading an application changes nothing.
        var applications: [WatchedApplication] = []
        for resource in configuration.resources {
            guard let application = resource.application, let (credential, client) = clients[resource.credential] else { continue }
            let graph = graphClient(
                resource.name,
                credential: credential,
                client: client,
                transport: transports.entra,
                timeout: daemon.requestTimeout
            )
            applications.append(
                WatchedApplication(
                    name: resource.name,
                    warning: application.expiryWarning,
                    ownPrefix: application.rotate
                        ? ApplicationCredentialProvider.ownPrefix(
                            name: resource.name,
                            node: application.ownCredential == nil ? nil : daemon.highAvailability?.node
                        ) : nil,
                    source: GraphApplicationCredentials(graph: graph, reference: application.reference)
                )
            )
        }
        return Built(
            configuration: configuration,
            clients: clients,
            rotators: rotators,
            followers: followers,
            epoch: leadership?.epoch,
            applications: applications
        )
    }

    /// The secret file writer of `resource`, then its Key Vault outputs (`vaults`), wrapped in hook
    /// delivery when it or `[daemon]` has an `on_publish`: hooks run once every output holds the key.
    /// In a high-availability group, the Key Vault outputs only: each node's follower of the
    /// resource writes the file and runs the hooks.
    private func publisher(
        _ resource: ResourceConfiguration,
        daemon: DaemonSettings,
        vaults: [KeyVaultPublisher.Target],
        epoch: Int?
    ) throws -> any SecretPublisher {
        if daemon.highAvailability != nil {
            return KeyVaultPublisher(inner: nil, targets: vaults, resource: resource.name, epoch: epoch, logger: logger)
        }
        var outputs: any SecretPublisher = try SecretFilePublisher(resource: resource, directory: daemon.secretsDirectory)
        if !vaults.isEmpty {
            outputs = KeyVaultPublisher(inner: outputs, targets: vaults, resource: resource.name, epoch: epoch, logger: logger)
        }
        let hooks = [resource.onPublish, daemon.onPublish].compactMap { $0 }
        if hooks.isEmpty { return outputs }
        return DeliveringPublisher(
            inner: outputs,
            hooks: hooks,
            runner: hookRunner,
            resource: resource.name,
            file: FilePath(daemon.secretsDirectory).appending(resource.output).string,
            logger: logger
        )
    }

    /// The data-plane check of new keys, when the resource asks for one (`verify = true`).
    private func dataPlaneVerifier(_ resource: ResourceConfiguration, id: ResourceID, tlsCAFile: String?) -> DataPlaneKeyVerifier? {
        guard resource.verify else { return nil }
        var logger = logger
        logger[field: .resource] = .string(resource.name)
        return DataPlaneKeyVerifier(
            client: DataPlaneClient(transport: transports.entra, extraCAFile: tlsCAFile, sleep: sleep),
            id: id,
            sleep: sleep,
            logger: logger
        )
    }

    /// An application's Graph provider and the token endpoint's check of its new secrets, as
    /// `credential` (whose tenant the configuration check made sure of, or the application's own).
    private func applicationParts(
        _ name: String,
        _ application: ApplicationTarget,
        credential: CredentialConfiguration,
        client: ARMClient,
        transport: any HTTPTransport,
        node: String?,
        proofFiles: [String],
        timeout: Duration
    ) throws -> (any KeyProvider, any KeyVerifier) {
        guard let tenant = application.tenant ?? credential.tenant else {
            throw CredentialError(source: "application \(name)", problem: "neither it nor credential \(credential.name) names a tenant; set tenant")
        }
        var authority = credential.authorityHost.absoluteString
        while authority.hasSuffix("/") { authority.removeLast() }
        var logger = logger
        logger[field: .resource] = .string(name)
        let graph = graphClient(name, credential: credential, client: client, transport: transport, timeout: timeout)
        let provider = ApplicationCredentialProvider(
            name: name,
            node: node,
            target: application,
            graph: graph,
            authority: authority + "/" + tenant,
            proofFiles: proofFiles,
            logger: logger
        )
        let verifier = TokenGrantVerifier(
            authorityHost: credential.authorityHost,
            tenant: tenant,
            scope: credential.graphScope,
            settle: application.settle,
            certificate: application.certificate,
            transport: transports.entra,
            sleep: sleep,
            logger: logger
        )
        return (provider, verifier)
    }

    /// A Microsoft Graph client of `credential` for the entry `name`.
    private func graphClient(
        _ name: String,
        credential: CredentialConfiguration,
        client: ARMClient,
        transport: any HTTPTransport,
        timeout: Duration
    ) -> GraphClient {
        var logger = logger
        logger[field: .resource] = .string(name)
        return GraphClient(
            endpoint: credential.graphEndpoint,
            scope: credential.graphScope,
            credential: client.credential,
            transport: transport,
            timeout: timeout,
            sleep: sleep,
            logger: logger
        )
    }

    /// The consumers that must confirm a published key, when the resource lists any; followers
    /// confirm on `vaults`, the resource's Key Vault outputs.
    private func confirmations(_ resource: ResourceConfiguration, vaults: [KeyVaultPublisher.Target]) -> ConsumerConfirmations? {
        guard !resource.confirmAckFiles.isEmpty || resource.confirmCommand != nil || !resource.confirmFollowers.isEmpty else { return nil }
        return ConsumerConfirmations(
            ackFiles: resource.confirmAckFiles,
            command: resource.confirmCommand,
            followers: resource.confirmFollowers,
            runner: hookRunner,
            followerSource: KeyVaultFollowerConfirmations(targets: vaults)
        )
    }
}
