import AzureClient
import ConfigurationFile
import DaemonExecutor
import Follower
import FoundationEssentials
import Hooks
import KeyRotation
import Logging
import SecretFiles

/// The daemon's rotators and followers for the configuration in force, built by one
/// ``DaemonWiring`` made at start; a reload builds only what changed and hands unchanged resources
/// their running rotator (and unchanged followers theirs) back.
actor DaemonRuntime {
    /// What every build shares.
    private let wiring: DaemonWiring
    /// What the last build made.
    private var built: DaemonWiring.Built
    /// The shared HTTP client for Entra ID and ARM (through the proxy, if any), closed at shutdown.
    private let transport: AsyncHTTPClientTransport
    /// The HTTP client for managed identity endpoints: never proxied.
    private let metadataTransport: AsyncHTTPClientTransport
    /// The leadership the rotators act for, in a high-availability group.
    private var leadership: DaemonWiring.Leadership?

    /// The configuration in force.
    var configuration: Configuration { built.configuration }
    /// Every ARM request and its answer, counted for the metrics file.
    var tally: ARMTally { wiring.tally }
    /// The state records.
    var store: JSONStateStore { wiring.store }
    /// The rotators, in configuration order.
    var currentRotators: [ResourceRotator] { built.rotators }
    /// The HTTP client for Azure (the group's Blob Storage uses it too).
    var httpTransport: AsyncHTTPClientTransport { transport }
    /// The token source of credential `name`, as the last build made it.
    func credential(named name: String) -> (any TokenCredential)? { built.clients[name]?.1.credential }
    /// Every `[[application]]`, for the expiry watch.
    var currentApplications: [WatchedApplication] { built.applications }
    /// The followers, in configuration order.
    var currentFollowers: [SecretFollower] { configuration.allFollows.compactMap { built.followers[$0.name]?.1 } }

    /// Builds everything for `configuration` (only the resources in `names`, when given); `progress` is called every 1,000 resources.
    init(
        configuration: Configuration,
        clock: any WallClock,
        logger: Logger,
        only names: Set<String>? = nil,
        progress: @Sendable (Int) -> Void = { _ in }
    ) async throws {
        let daemon = configuration.daemon
        try AtomicFileWriter.ensureDirectory(daemon.secretsDirectory, mode: 0o750)
        let proxy = try ProxyConfiguration(environment: ProcessInfo.processInfo.environment)
        if let proxy { logger.info("Using the HTTPS proxy from HTTPS_PROXY", metadata: .fields([.proxy: .string(proxy.summary)])) }
        let transport = AsyncHTTPClientTransport(extraCAFile: daemon.tlsCAFile, proxy: proxy, connectionsPerHost: daemon.concurrency)
        let metadataTransport = AsyncHTTPClientTransport(metadata: true)
        self.transport = transport
        self.metadataTransport = metadataTransport
        let sleep: @Sendable (Duration) async throws -> Void = { try await DaemonExecutor.sleep(for: $0) }
        let wiring = DaemonWiring(
            transports: .init(entra: transport, metadata: metadataTransport),
            budgets: ARMBudgets(writes: .init(burst: daemon.armWriteBurst, perSecond: daemon.armWritesPerSecond)),
            tally: ARMTally(),
            vaultBudgets: ARMBudgets(writes: KeyVaultClient.writeLimits),
            store: try JSONStateStore(stateDirectory: daemon.stateDirectory),
            followerStore: try JSONStateStore(stateDirectory: daemon.stateDirectory, kind: "followers"),
            clock: clock,
            sleep: sleep,
            hookRunner: SubprocessHookRunner(executor: DaemonExecutor.taskExecutor, sleep: sleep),
            logger: logger
        )
        self.wiring = wiring
        var selected = configuration
        if let names {
            selected.resources = configuration.resources.filter { names.contains($0.name) }
            selected.follows = []
        }
        self.built = try await wiring.build(selected, reusing: nil, rotating: configuration.daemon.highAvailability == nil, progress: progress)
    }

    /// Validates and applies the configuration at `path`; throws (changing nothing) when it is not usable.
    func reload(path: String) async throws -> [ResourceRotator] {
        let (next, _) = try ConfigurationLoader().load(path: path)
        let waiting = ConfigurationSchema.restartRequired(from: configuration.daemon, to: next.daemon)
        guard waiting.isEmpty else {
            let names = waiting.map { "[daemon] \($0.name)" }.joined(separator: ", ")
            throw ReloadRefused(reason: "\(names) changed, which only a start applies: restart keyrotd to apply (systemctl restart keyrotd)")
        }
        built = try await wiring.build(
            next,
            reusing: built,
            leadership: leadership,
            rotating: next.daemon.highAvailability == nil || leadership != nil
        )
        return currentRotators
    }

    /// This node leads its group: the rotators are built afresh for `leadership` (its journal,
    /// guard and epoch) and returned for the scheduler.
    func lead(_ leadership: DaemonWiring.Leadership) async throws -> [ResourceRotator] {
        self.leadership = leadership
        built = try await wiring.build(configuration, reusing: built, leadership: leadership, rotating: true)
        return currentRotators
    }

    /// This node no longer leads: no rotators (the scheduler cancels the running steps).
    func standDown() async throws -> [ResourceRotator] {
        leadership = nil
        built = try await wiring.build(configuration, reusing: built, leadership: nil, rotating: false)
        return currentRotators
    }

    /// What each subscription's ARM write budget holds now: the smallest of its buckets when
    /// several credentials write to it.
    func writeBudgetRemaining() async -> [String: Double] {
        await wiring.budgets.remaining(.write).reduce(into: [:]) { result, bucket in
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
}
