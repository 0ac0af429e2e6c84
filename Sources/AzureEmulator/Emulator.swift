import FoundationEssentials
import Glibc
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The Azure stand-in: Entra ID token endpoint, ARM for ACS resources, the ACS data plane, with
/// fault injection. Used by tests, the demo and the benchmarks, over loopback only.
public final class Emulator: Sendable {
    private let configuration: EmulatorConfiguration
    private let channels: [any Channel]
    private let state: EmulatorState
    private let tasks: [Task<Void, Never>]
    /// What clients need to use it.
    public let info: EmulatorInfo

    /// Starts the emulator.
    public static func start(_ configuration: EmulatorConfiguration) async throws -> Emulator {
        var configuration = configuration
        let identities = try EmulatedIdentities(subscription: configuration.subscription, resourceGroup: configuration.resourceGroup)
        let files = try IdentityFiles.write(identities, to: configuration.identityDirectory, federatedTokenLifetime: configuration.tokenLifetime)
        configuration.arcKeyDirectory = files.arcKeyDirectory
        let state = EmulatorState(configuration: configuration, identities: identities)
        var sslContext: NIOSSLContext?
        var caFile: String?
        if configuration.tls {
            let authority = try CertificateAuthority(hosts: [configuration.host, "localhost", "127.0.0.1", "::1", EmulatorInfo.proxiedHost])
            let path =
                configuration.caFile ?? FileManager.default.temporaryDirectory.path
                + "/keyrotd-emulator-ca-\(getpid())-\(UUID().uuidString.prefix(8)).pem"
            try authority.caPEM.write(toFile: path, atomically: true, encoding: .utf8)
            caFile = path
            let certificate = try NIOSSLCertificate(bytes: Array(authority.serverCertificatePEM.utf8), format: .pem)
            let key = try NIOSSLPrivateKey(bytes: Array(authority.serverKeyPEM.utf8), format: .pem)
            sslContext = try NIOSSLContext(
                configuration: .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
            )
        }
        var tasks: [Task<Void, Never>] = []
        var channels: [any Channel] = []
        if configuration.types.contains(where: { $0.family == "redis" }) {
            let redis = try await RedisListener.start(host: configuration.host, port: configuration.redisPort, tls: sslContext, state: state)
            configuration.redisPort = redis.channel.localAddress?.port ?? 0
            channels.append(redis.channel)
            tasks.append(redis.task)
        }
        let routes = EmulatorRoutes(state: state, configuration: configuration)
        let channel = try await listen(host: configuration.host, port: configuration.port, tls: sslContext) { await routes.handle($0) }
        // Managed identity endpoints are plain HTTP, as in Azure; the listener serves nothing else.
        let metadata = try await listen(host: configuration.host, port: configuration.metadataPort, tls: nil) { await routes.handleMetadata($0) }
        let port = channel.localAddress?.port ?? configuration.port
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let baseURL = "\(configuration.tls ? "https" : "http")://\(host):\(port)"
        channels += [channel, metadata]
        var proxyURL: String?
        var proxiedBaseURL: String?
        if let proxyPort = configuration.proxyPort {
            let (proxy, task) = try await ConnectProxy.start(
                host: configuration.host,
                port: proxyPort,
                target: (configuration.host, port),
                credentials: configuration.proxyCredentials,
                state: state
            )
            tasks.append(task)
            channels.append(proxy.server.channel)
            proxyURL = "http://\(host):\(proxy.port)"
            proxiedBaseURL = "https://\(EmulatorInfo.proxiedHost):\(port)"
        }
        let resources = await state.resources.values.map(\.id).sorted()
        let info = EmulatorInfo(
            baseURL: baseURL,
            caFile: caFile,
            tenant: state.tenant,
            clientID: state.writer.clientID,
            clientSecret: state.writer.secret,
            readerClientID: state.reader.clientID,
            readerClientSecret: state.reader.secret,
            subscription: configuration.subscription,
            resources: resources,
            keyVaultURL: baseURL,
            blobServiceURL: baseURL + "/" + configuration.storageAccount,
            storageAccount: configuration.storageAccount,
            storageAccountKey: state.blobAccountKey,
            identities: .init(
                metadataURL: "http://\(host):\(metadata.localAddress?.port ?? 0)",
                certificateClientID: identities.certificateApp.clientID,
                certificateFile: files.certificateFile,
                privateKeyFile: files.privateKeyFile,
                federatedClientID: identities.federatedClientID,
                federatedTokenFile: files.federatedTokenFile,
                systemAssignedClientID: identities.systemAssigned.clientID,
                userAssignedClientID: identities.userAssigned.clientID,
                userAssignedObjectID: identities.userAssigned.objectID,
                userAssignedResourceID: identities.userAssigned.resourceID ?? "",
                appServiceIdentityHeader: identities.appServiceHeader,
                arcKeyDirectory: files.arcKeyDirectory,
                directory: files.directory
            ),
            proxyURL: proxyURL,
            proxiedBaseURL: proxiedBaseURL
        )
        if let every = configuration.faults.outOfBandRegenerationEvery, every > .zero {
            tasks.append(
                Task {
                    while !Task.isCancelled {
                        try? await Task.sleep(for: every)
                        if Task.isCancelled { break }
                        await state.regenerateRandomKey()
                    }
                }
            )
        }
        return Emulator(configuration: configuration, channels: channels, state: state, tasks: tasks, info: info)
    }

    private static func listen(
        host: String,
        port: Int,
        tls: NIOSSLContext?,
        handle: @escaping @Sendable (EmulatorRequest) async -> EmulatorResponse
    ) async throws -> any Channel {
        try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(EmulatorHTTPHandler(handle: handle))
                }
            }
            .bind(host: host, port: port).get()
    }

    private init(configuration: EmulatorConfiguration, channels: [any Channel], state: EmulatorState, tasks: [Task<Void, Never>], info: EmulatorInfo)
    {
        self.configuration = configuration
        self.channels = channels
        self.state = state
        self.tasks = tasks
        self.info = info
    }

    /// Mints a fresh federated token into the token file, as kubelet does when it rotates it.
    public func rotateFederatedToken() async throws {
        try IdentityFiles.writeFederatedToken(
            state.identities,
            path: info.identities.federatedTokenFile,
            lifetime: configuration.tokenLifetime
        )
    }

    /// Stops listening.
    public func shutdown() async throws {
        for task in tasks { task.cancel() }
        for channel in channels { try? await channel.close() }
        if configuration.identityDirectory == nil { try? FileManager.default.removeItem(atPath: info.identities.directory) }
    }

}
