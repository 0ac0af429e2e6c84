import FoundationEssentials
import NIOCore
import NIOPosix
import NIOSSL

/// Redis' key check: `AUTH KEY` over TLS (the cache's SSL port), as StackExchange.Redis and
/// redis-py authenticate with an access key. `+OK` accepts the key, an error refuses it.
struct RedisAuthentication {
    /// Trust for the cache's certificate: the system's roots and `tls_ca_file`.
    let tls: TLSConfiguration
    /// Waits out the answer's time limit.
    let sleep: @Sendable (Duration) async throws -> Void

    /// Authenticates `key` at `host:port`.
    func check(host: String, port: Int, key: String) async -> DataPlaneClient.Outcome {
        do {
            return try await withThrowingTaskGroup(of: DataPlaneClient.Outcome.self) { group in
                group.addTask { try await authenticate(host: host, port: port, key: key) }
                group.addTask {
                    try await sleep(.seconds(10))
                    return .failed("no answer from \(host):\(port) within 10 s")
                }
                let first = try await group.next() ?? .failed("no answer")
                group.cancelAll()
                return first
            }
        } catch {
            return .failed(SystemTrustStore.explain(error) ?? "\(error)")
        }
    }

    private func authenticate(host: String, port: Int, key: String) async throws -> DataPlaneClient.Outcome {
        let context = try NIOSSLContext(configuration: tls)
        // Certificates name hosts; an IP address is checked against the certificate's IP entries instead.
        let serverName = host.contains(where: \.isLetter) ? host : nil
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connectTimeout(.seconds(10))
            .connect(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(NIOSSLClientHandler(context: context, serverHostname: serverName))
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        return try await channel.executeThenClose { inbound, outbound in
            let command = "*2\r\n$4\r\nAUTH\r\n$\(key.utf8.count)\r\n\(key)\r\n"
            try await outbound.write(ByteBuffer(string: command))
            var reply: [UInt8] = []
            for try await chunk in inbound {
                reply += chunk.readableBytesView
                if reply.contains(10) || reply.count > 4096 { break }
            }
            // The reply is "+OK" or an error line such as "-WRONGPASS …"; neither carries the key.
            let line = String(decoding: reply.prefix { $0 != 13 && $0 != 10 }, as: UTF8.self)
            if line == "+OK" { return .accepted }
            if line.hasPrefix("-") { return .denied(status: 401) }
            return .failed("an unexpected Redis reply")
        }
    }
}
