import FoundationEssentials
import Glibc
import KeyRotation
import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import SystemPackage

/// The running daemon's control socket: `keyrotd rotate` and `keyrotd status` talk to it instead of
/// refusing because the daemon holds the lock.
///
/// A Unix stream socket in the runtime directory, mode 0600. Each connection's peer credentials
/// (`SO_PEERCRED`) are checked: only the daemon's own user and root are served, whatever the file
/// mode says. One request line per connection, JSON lines back.
public struct ControlServer: Service {
    private let path: String
    let scheduler: RotationScheduler
    private let logger: Logger
    private let allowed: Set<uid_t>
    private let started: @Sendable (_ listening: Bool) async -> Void
    private let followers: @Sendable () async -> [FollowerStatus]
    private let summary: @Sendable () async -> String
    /// This node's place in its group; `nil` outside one.
    let group: @Sendable () async -> GroupStatus?
    /// What the expiry watch last read of each application.
    private let applications: @Sendable () async -> [ApplicationExpiry]
    /// Paces the checks of a `rotate` that may have to wait.
    let sleep: @Sendable (Duration) async throws -> Void

    /// The largest request line accepted.
    static let maximumRequest = 64 * 1024

    /// Creates the server for `scheduler` at `path` (created at run, removed at shutdown).
    ///
    /// `started` is called once: with `true` when the socket accepts connections (owner-only
    /// already), with `false` when it could not be created. The daemon sends `READY=1` then, so a
    /// `keyrotd status` right after `systemctl start` reaches the daemon instead of racing its bind.
    /// `followers` gives the followers' live statuses for `status`, `summary` the line
    /// `systemctl status` shows, `applications` what the expiry watch read, `group` this node's place in its high-availability group (a
    /// `rotate` sent to a node that does not rotate is refused, naming the leader). `sleep` is the
    /// daemon's timer.
    public init(
        path: String,
        scheduler: RotationScheduler,
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        logger: Logger,
        started: @escaping @Sendable (_ listening: Bool) async -> Void = { _ in },
        followers: @escaping @Sendable () async -> [FollowerStatus] = { [] },
        group: @escaping @Sendable () async -> GroupStatus? = { nil },
        applications: @escaping @Sendable () async -> [ApplicationExpiry] = { [] },
        summary: @escaping @Sendable () async -> String
    ) {
        self.group = group
        self.applications = applications
        self.summary = summary
        self.path = path
        self.scheduler = scheduler
        self.sleep = sleep
        self.logger = logger
        self.allowed = [getuid(), 0]
        self.followers = followers
        self.started = started
    }

    /// `struct ucred` (pid, uid, gid), which Glibc's module does not export.
    struct PeerCredentials: Sendable {
        /// The caller's process.
        var pid: Int32 = 0
        /// The caller's user.
        var uid: UInt32 = 0
        /// The caller's group.
        var gid: UInt32 = 0
    }

    private struct Connection: Sendable {
        var channel: NIOAsyncChannel<ByteBuffer, ByteBuffer>
        var peer: PeerCredentials
    }

    public func run() async throws {
        let server: NIOAsyncChannel<Connection, Never>
        do {
            server = try await listen()
        } catch {
            // Rotation does not depend on the socket: run without it, and say so.
            logger.error(
                "control socket unavailable, `keyrotd rotate` and live `keyrotd status` cannot reach this daemon: \(error)",
                metadata: .fields([.socket: .string(path)])
            )
            await started(false)
            try await gracefulShutdown()
            return
        }
        logger.debug("control socket listening", metadata: .fields([.socket: .string(path)]))
        defer { unlink(path) }
        await started(true)
        try await withThrowingDiscardingTaskGroup { group in
            try await server.executeThenClose { inbound in
                for try await connection in inbound.cancelOnGracefulShutdown() {
                    // A `rotate --wait` may follow a resource for an hour of grace: stopping must not wait for it.
                    group.addTask { await cancelWhenGracefulShutdown { await serve(connection) } }
                }
            }
        }
    }

    private func listen() async throws -> NIOAsyncChannel<Connection, Never> {
        try Self.prepare(path)
        let server = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(unixDomainSocketPath: path) { channel -> EventLoopFuture<Connection> in
                guard let provider = channel as? any SocketOptionProvider else {
                    return channel.eventLoop.makeFailedFuture(ControlError("the socket gives no peer credentials"))
                }
                let peer: EventLoopFuture<PeerCredentials> = provider.unsafeGetSocketOption(
                    level: SocketOptionLevel(SOL_SOCKET),
                    name: SocketOptionName(SO_PEERCRED)
                )
                return peer.flatMapThrowing { peer in
                    Connection(channel: try NIOAsyncChannel(wrappingChannelSynchronously: channel), peer: peer)
                }
            }
        // Owner-only; the runtime directory is 0700 as well.
        guard chmod(path, 0o600) == 0 else { throw ControlError("cannot restrict \(path) to its owner: \(String(cString: strerror(errno)))") }
        return server
    }

    private func serve(_ connection: Connection) async {
        do {
            try await connection.channel.executeThenClose { inbound, outbound in
                let writer = ReplyWriter(outbound: outbound)
                var line: [UInt8] = []
                for try await chunk in inbound {
                    line += chunk.readableBytesView
                    if line.contains(UInt8(ascii: "\n")) || line.count > Self.maximumRequest { break }
                }
                // The request is read before a refusal, so the caller gets the answer instead of a broken pipe.
                guard allowed.contains(connection.peer.uid) else {
                    logger.warning(
                        "control socket: refused a caller of another user",
                        metadata: .fields([.peerUID: "\(connection.peer.uid)", .peerPID: "\(connection.peer.pid)"])
                    )
                    try await writer.send(ControlReply(error: "refused: uid \(connection.peer.uid) is neither keyrotd's user nor root"))
                    return
                }
                guard let end = line.firstIndex(of: UInt8(ascii: "\n")),
                    let request = try? JSONDecoder().decode(ControlRequest.self, from: Data(line[..<end]))
                else {
                    try await writer.send(ControlReply(error: "unreadable request: one JSON object on one line expected"))
                    return
                }
                // A rotation is an operator's act worth a journal line; a status poll is not.
                logger.log(
                    level: request.command == .rotate ? .notice : .debug,
                    "control socket: \(request.command.rawValue)",
                    metadata: .fields([.peerUID: "\(connection.peer.uid)", .resources: .string(request.names.joined(separator: ","))])
                )
                switch request.command {
                case .status:
                    try await writer.send(status())
                case .rotate:
                    try await rotate(request, writer)
                }
            }
        } catch {
            logger.debug("control connection ended: \(error)")
        }
    }

    private func status() async -> ControlReply {
        var resources: [ResourceStatus] = []
        for name in await scheduler.names {
            guard let rotator = await scheduler.rotator(named: name) else { continue }
            resources.append(ResourceStatus(name: name, record: await rotator.record))
        }
        let followers = await followers()
        let applications = await applications()
        return ControlReply(
            resources: resources,
            followers: followers.isEmpty ? nil : followers,
            summary: await summary(),
            group: await group(),
            applications: applications.isEmpty ? nil : applications
        )
    }

    /// A socket path may be reused only when nothing but a stale socket is there.
    private static func prepare(_ path: String) throws {
        let directory = FilePath(path).removingLastComponent().string
        if mkdir(directory, 0o700) != 0, errno != EEXIST {
            throw ControlError("cannot create the runtime directory \(directory): \(String(cString: strerror(errno)))")
        }
        var info = stat()
        guard lstat(path, &info) == 0 else { return }
        guard info.st_mode & S_IFMT == S_IFSOCK else {
            throw ControlError("\(path) exists and is not a socket; remove it or set [daemon] runtime_dir")
        }
        // keyrotd's instance lock is held, so no other keyrotd serves this socket: it is stale.
        unlink(path)
    }
}

/// Writes replies as JSON lines.
struct ReplyWriter {
    /// The connection's outbound side.
    let outbound: NIOAsyncChannelOutboundWriter<ByteBuffer>

    /// Writes `reply` as one JSON line.
    func send(_ reply: ControlReply) async throws {
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.sortedKeys]
        var bytes = try encoder.encode(reply)
        bytes.append(UInt8(ascii: "\n"))
        try await outbound.write(ByteBuffer(bytes: bytes))
    }
}

/// A control socket problem, for the journal.
public struct ControlError: Error, Sendable, CustomStringConvertible {
    /// What went wrong.
    public var description: String

    /// Says what went wrong.
    init(_ description: String) { self.description = description }
}
