import Control
import Foundation
import Glibc
import KeyRotation
import Logging
import ServiceLifecycle
import Testing

/// The control socket in-process: a server over a scheduler, the blocking client the CLI uses.
@Suite(.timeLimit(.minutes(2)))
struct ControlServerTests {
    /// A scheduler with no resources: the socket's own behaviour, not the rotation's, is under test.
    struct Rig {
        let directory: String
        let path: String
        let group: ServiceGroup
        let running: Task<Void, any Error>

        /// `group`: this node's place in a high-availability group, if the test puts it in one.
        init(group: GroupStatus? = nil) async throws {
            directory = NSTemporaryDirectory() + "control-\(UUID().uuidString.prefix(8))"
            path = directory + "/run/control.sock"
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let logger = Logger(label: "test")
            let scheduler = RotationScheduler(
                rotators: [],
                clock: SystemWallClock(sleep: { try await Task.sleep(for: $0) }),
                concurrency: 1,
                notifier: SilentNotifier(),
                logger: logger
            )
            // The server says when it listens: no wall-clock deadline here, which a busy test
            // process (two cooperative threads shared with every other suite) can overrun.
            let (started, report) = AsyncStream.makeStream(of: Bool.self)
            let server = ControlServer(
                path: path,
                scheduler: scheduler,
                sleep: { try await Task.sleep(for: $0) },
                logger: logger,
                started: { listening in
                    report.yield(listening)
                    report.finish()
                },
                group: { group },
                summary: { "0 resources; no failures" }
            )
            let group = ServiceGroup(configuration: .init(services: [server], logger: logger))
            self.group = group
            running = Task { try await group.run() }
            var events = started.makeAsyncIterator()
            let listening = await events.next()
            try #require(listening == true, "the server could not create its socket")
        }

        /// Sends `request` and returns every reply line.
        func send(_ request: ControlRequest) async throws -> [ControlReply] {
            let path = self.path
            return try await onOwnThread {
                var replies: [ControlReply] = []
                try ControlClient(path: path).send(request) { replies.append($0) }
                return replies
            }
        }

        func stop() async throws {
            await group.triggerGracefulShutdown()
            try await running.value
            try? FileManager.default.removeItem(atPath: directory)
        }
    }

    @Test func servesStatusOnAnOwnerOnlySocketAndRemovesItAtShutdown() async throws {
        let rig = try await Rig()
        var info = stat()
        // The server restricts the socket before it reports listening (the 0700 directory guards the moment between).
        try #require(lstat(rig.path, &info) == 0)
        #expect(info.st_mode & 0o777 == 0o600, "the socket's mode is \(String(info.st_mode & 0o777, radix: 8)), not 600")
        #expect(stat(rig.directory + "/run", &info) == 0 && info.st_mode & 0o777 == 0o700)
        let replies = try await rig.send(ControlRequest(command: .status))
        let reply = try #require(replies.first)
        #expect(replies.count == 1)
        #expect(reply.resources == [])
        #expect(reply.summary?.hasPrefix("0 resources") == true, "\(reply.summary ?? "nil")")
        try await rig.stop()
        #expect(lstat(rig.path, &info) != 0, "the socket is removed at shutdown")
    }

    /// A standby shows the group in its status and refuses a `rotate`, naming the leader.
    @Test func aStandbyNamesTheLeaderAndRefusesToRotate() async throws {
        let standby = GroupStatus(group: "https://example.blob.core.windows.net/keyrotd", node: "b", role: .standby, leader: "a")
        let rig = try await Rig(group: standby)
        let status = try await rig.send(ControlRequest(command: .status))
        #expect(status.first?.group == standby)
        let replies = try await rig.send(ControlRequest(command: .rotate, names: ["anything"]))
        #expect(replies == [ControlReply(error: "this node (b) is a standby; the leader is a: run `keyrotd rotate` on it")])
        try await rig.stop()
    }

    @Test func aRotationOfAnUnknownResourceEndsWithItsOutcome() async throws {
        let rig = try await Rig()
        let replies = try await rig.send(ControlRequest(command: .rotate, names: ["nope"]))
        #expect(replies.contains { $0.resource == "nope" && $0.outcome == "unknown" }, "\(replies)")
        let last = try #require(replies.last)
        #expect(last.done == true)
        try await rig.stop()
    }

    @Test func anUnreadableRequestGetsAnErrorLine() async throws {
        let rig = try await Rig()
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(rig.path.utf8))
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        try #require(connected == 0)
        let request = Array("not json\n".utf8)
        #expect(write(fd, request, request.count) == request.count)
        let answer = try await onOwnThread {
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = read(fd, &buffer, buffer.count)
            return String(decoding: buffer.prefix(max(0, count)), as: UTF8.self)
        }
        #expect(answer.contains("unreadable request"))
        try await rig.stop()
    }

    @Test func requestsAndRepliesAreOneJSONLineEach() throws {
        let request = ControlRequest(command: .rotate, names: ["a", "b"], emergency: true, wait: false)
        let encoded = try JSONEncoder().encode(request)
        #expect(!encoded.contains(UInt8(ascii: "\n")))
        #expect(try JSONDecoder().decode(ControlRequest.self, from: encoded) == request)
        let reply = ControlReply(resource: "a", step: "idle", outcome: "rotated", message: "primary key published", done: nil)
        #expect(try JSONDecoder().decode(ControlReply.self, from: JSONEncoder().encode(reply)) == reply)
    }
}

/// Runs blocking socket I/O on a thread of its own: on the cooperative pool (two threads on a
/// two-core machine) it would starve the server it waits for.
private func onOwnThread<T: Sendable>(_ work: @escaping @Sendable () throws -> T) async throws -> T {
    try await withCheckedThrowingContinuation { continuation in
        Thread.detachNewThread { continuation.resume(with: Result { try work() }) }
    }
}
