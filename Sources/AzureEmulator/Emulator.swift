import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// The Azure stand-in: Entra ID token endpoint, ARM for ACS resources, the ACS data plane, with
/// fault injection. Used by tests, the demo and the benchmarks, over loopback only.
public final class Emulator: Sendable {
    private let configuration: EmulatorConfiguration
    private let channel: any Channel
    private let state: EmulatorState
    private let oobTask: Task<Void, Never>?
    /// What clients need to use it.
    public let info: EmulatorInfo

    /// Starts the emulator.
    public static func start(_ configuration: EmulatorConfiguration) async throws -> Emulator {
        let state = EmulatorState(configuration: configuration)
        var sslContext: NIOSSLContext?
        var caFile: String?
        if configuration.tls {
            let authority = try CertificateAuthority(hosts: [configuration.host, "localhost", "127.0.0.1", "::1"])
            let path = configuration.caFile ?? NSTemporaryDirectory() + "keyrotd-emulator-ca-\(getpid())-\(UUID().uuidString.prefix(8)).pem"
            try authority.caPEM.write(toFile: path, atomically: true, encoding: .utf8)
            caFile = path
            let certificate = try NIOSSLCertificate(bytes: Array(authority.serverCertificatePEM.utf8), format: .pem)
            let key = try NIOSSLPrivateKey(bytes: Array(authority.serverKeyPEM.utf8), format: .pem)
            sslContext = try NIOSSLContext(
                configuration: .makeServerConfiguration(certificateChain: [.certificate(certificate)], privateKey: .privateKey(key))
            )
        }
        let routes = EmulatorRoutes(state: state, configuration: configuration)
        let context = sslContext
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 512)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let context { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: context)) }
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(EmulatorHTTPHandler { request in await routes.handle(request) })
                }
            }
            .bind(host: configuration.host, port: configuration.port).get()
        let port = channel.localAddress?.port ?? configuration.port
        let host = configuration.host.contains(":") ? "[\(configuration.host)]" : configuration.host
        let baseURL = "\(configuration.tls ? "https" : "http")://\(host):\(port)"
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
            resources: resources
        )
        var oob: Task<Void, Never>?
        if let every = configuration.faults.outOfBandRegenerationEvery, every > .zero {
            oob = Task {
                while !Task.isCancelled {
                    try? await Task.sleep(for: every)
                    if Task.isCancelled { break }
                    await state.regenerateRandomKey()
                }
            }
        }
        return Emulator(configuration: configuration, channel: channel, state: state, oobTask: oob, info: info)
    }

    private init(configuration: EmulatorConfiguration, channel: any Channel, state: EmulatorState, oobTask: Task<Void, Never>?, info: EmulatorInfo) {
        self.configuration = configuration
        self.channel = channel
        self.state = state
        self.oobTask = oobTask
        self.info = info
    }

    /// Stops listening.
    public func shutdown() async throws {
        oobTask?.cancel()
        try await channel.close()
    }

}
