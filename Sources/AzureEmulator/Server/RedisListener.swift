import FoundationEssentials
import NIOCore
import NIOPosix
import NIOSSL

/// The Redis data plane over TLS, as far as a key check goes: `AUTH [default] KEY` answers `+OK`
/// while KEY is a current key of some cache, `-WRONGPASS …` otherwise; `PING`, `QUIT`. Commands in
/// RESP arrays (what clients send) or inline.
enum RedisListener {
    /// Listens on `host:port` (0 picks one) and serves until the channel closes.
    static func start(host: String, port: Int, tls: NIOSSLContext?, state: EmulatorState) async throws -> (
        channel: any Channel, task: Task<Void, Never>
    ) {
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .bind(host: host, port: port) { channel in
                channel.eventLoop.makeCompletedFuture {
                    if let tls { try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls)) }
                    return try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: channel)
                }
            }
        let task = Task<Void, Never> {
            _ = try? await withThrowingDiscardingTaskGroup { group in
                try await server.executeThenClose { connections in
                    for try await connection in connections {
                        group.addTask { try? await serve(connection, state: state) }
                    }
                }
            }
        }
        return (server.channel, task)
    }

    private static func serve(_ connection: NIOAsyncChannel<ByteBuffer, ByteBuffer>, state: EmulatorState) async throws {
        try await connection.executeThenClose { inbound, outbound in
            var pending: [UInt8] = []
            for try await chunk in inbound {
                pending += chunk.readableBytesView
                while let (command, used) = parse(pending) {
                    pending.removeFirst(used)
                    let reply = await answer(command, state: state)
                    try await outbound.write(ByteBuffer(string: reply))
                    if command.first?.uppercased() == "QUIT" { return }
                }
                if pending.count > 1 << 16 { return }
            }
        }
    }

    private static func answer(_ command: [String], state: EmulatorState) async -> String {
        switch command.first?.uppercased() {
        case "AUTH":
            guard command.count == 2 || command.count == 3, let key = command.last else {
                return "-ERR wrong number of arguments for 'auth' command\r\n"
            }
            if command.count == 3, command[1] != "default" { return "-WRONGPASS invalid username-password pair or user is disabled.\r\n" }
            let now = await state.now
            let caches = await state.resources.values.filter { $0.type.family == "redis" }
            if caches.contains(where: { $0.validKeys(at: now).contains(key) }) {
                await state.count { $0.dataPlaneAccepted += 1 }
                return "+OK\r\n"
            }
            await state.count { $0.dataPlaneDenied += 1 }
            return "-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        case "PING": return "+PONG\r\n"
        case "QUIT": return "+OK\r\n"
        default: return "-NOAUTH Authentication required.\r\n"
        }
    }

    /// One command at the start of `bytes` and how many bytes it took; `nil` until it is complete.
    static func parse(_ bytes: [UInt8]) -> ([String], Int)? {
        func line(from start: Int) -> (String, Int)? {
            var i = start
            while i + 1 < bytes.count {
                if bytes[i] == 13, bytes[i + 1] == 10 { return (String(decoding: bytes[start..<i], as: UTF8.self), i + 2) }
                i += 1
            }
            return nil
        }
        guard let (first, afterFirst) = line(from: 0) else { return nil }
        guard first.hasPrefix("*"), let count = Int(first.dropFirst()), count >= 0, count < 64 else {
            return (first.split(separator: " ").map(String.init), afterFirst)
        }
        var position = afterFirst
        var items: [String] = []
        for _ in 0..<count {
            guard let (header, afterHeader) = line(from: position), header.hasPrefix("$"), let length = Int(header.dropFirst()), length >= 0,
                afterHeader + length + 2 <= bytes.count
            else { return nil }
            items.append(String(decoding: bytes[afterHeader..<(afterHeader + length)], as: UTF8.self))
            position = afterHeader + length + 2
        }
        return (items, position)
    }
}
