import FoundationEssentials
import NIOCore
import NIOPosix

/// A minimal HTTP CONNECT proxy for testing keyrotd's `HTTPS_PROXY` support: it tunnels only to
/// the emulator's own listener (it is no open relay), optionally demands Basic credentials, and
/// counts the tunnels so a test can prove traffic went through it.
struct ConnectProxy: Sendable {
    /// The listening channel.
    let server: NIOAsyncChannel<NIOAsyncChannel<ByteBuffer, ByteBuffer>, Never>
    /// The port it listens on.
    let port: Int

    /// Starts listening on `host:port`, tunnelling to `target` only.
    static func start(host: String, port: Int, target: (host: String, port: Int), credentials: String?, state: EmulatorState) async throws
        -> (ConnectProxy, Task<Void, Never>)
    {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
            }
        let proxy = ConnectProxy(server: server, port: server.channel.localAddress?.port ?? port)
        let expected = credentials.map { "Basic " + Data($0.utf8).base64EncodedString() }
        let task = Task<Void, Never> {
            _ = try? await server.executeThenClose { inbound in
                try await withThrowingDiscardingTaskGroup { group in
                    for try await connection in inbound {
                        group.addTask { await Self.serve(connection, target: target, expected: expected, state: state) }
                    }
                }
            }
        }
        return (proxy, task)
    }

    private static func serve(
        _ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>,
        target: (host: String, port: Int),
        expected: String?,
        state: EmulatorState
    ) async {
        try? await connection.executeThenClose { inbound, outbound in
            var iterator = inbound.makeAsyncIterator()
            var head = ByteBuffer()
            // Read up to the end of the request head (bounded).
            while head.readableBytesView.firstRange(of: Array("\r\n\r\n".utf8)) == nil {
                guard head.readableBytes < 16 * 1024, var more = try await iterator.next() else { return }
                head.writeBuffer(&more)
            }
            let bytes = Array(head.readableBytesView)
            let end = bytes.firstRange(of: Array("\r\n\r\n".utf8))!.upperBound
            let lines = String(decoding: bytes[..<end], as: UTF8.self).split(separator: "\r\n").map(String.init)
            let requestLine = lines.first?.split(separator: " ") ?? []
            let authorization = lines.dropFirst().first { $0.lowercased().hasPrefix("proxy-authorization:") }
                .map {
                    String($0.dropFirst("proxy-authorization:".count).drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
                }
            func refuse(_ status: String) async throws {
                await state.count { $0.proxyRefusals += 1 }
                try await outbound.write(ByteBuffer(string: "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"))
            }
            guard requestLine.count == 3, requestLine[0] == "CONNECT" else { return try await refuse("405 Method Not Allowed") }
            if await state.hangs(.proxy) {
                // Never answer; read until the client gives up.
                while try await iterator.next() != nil {}
                return
            }
            if let expected, authorization != expected {
                return try await refuse("407 Proxy Authentication Required\r\nProxy-Authenticate: Basic realm=\"keyrotd-emulator\"")
            }
            let authority = requestLine[1]
            guard let colon = authority.lastIndex(of: ":"), Int(authority[authority.index(after: colon)...]) == target.port,
                ["127.0.0.1", "localhost", target.host, EmulatorInfo.proxiedHost].contains(String(authority[..<colon]))
            else { return try await refuse("403 Forbidden") }
            let upstream = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connect(host: target.host, port: target.port) { channel in
                    channel.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel) }
                }
            await state.count { $0.proxyTunnels += 1 }
            try await outbound.write(ByteBuffer(string: "HTTP/1.1 200 Connection Established\r\n\r\n"))
            try await upstream.executeThenClose { upstreamInbound, upstreamOutbound in
                if bytes.count > end { try await upstreamOutbound.write(ByteBuffer(bytes: bytes[end...])) }
                // Upstream → client in a child task; client → upstream here. Either side closing ends the tunnel.
                let pump = Task {
                    for try await chunk in upstreamInbound { try await outbound.write(chunk) }
                    outbound.finish()
                }
                defer { pump.cancel() }
                while let chunk = try await iterator.next() { try await upstreamOutbound.write(chunk) }
            }
        }
    }
}
