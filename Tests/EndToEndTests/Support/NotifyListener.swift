import Foundation
import Glibc
import Synchronization

/// A service manager's side of sd_notify: an AF_UNIX datagram socket that records every message
/// a child sends to `NOTIFY_SOCKET`, with the time it arrived.
final class NotifyListener: Sendable {
    let path: String
    private let fd: Int32
    private let messages = Mutex<[(Date, String)]>([])
    private let stopped = Atomic<Bool>(false)

    init(directory: String) throws {
        path = directory + "/notify.sock"
        fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            for (i, b) in bytes.enumerated() { raw[i] = b }
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard bound == 0 else { throw TestFailure("bind \(path): \(String(cString: strerror(errno)))") }
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let thread = Thread { [self] in self.receive() }
        thread.start()
    }

    private func receive() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while !stopped.load(ordering: .relaxed) {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n > 0 {
                let text = String(decoding: buffer[0..<n], as: UTF8.self)
                messages.withLock { $0.append((Date(), text)) }
            }
        }
        close(fd)
    }

    /// All messages so far.
    var received: [(Date, String)] { messages.withLock { $0 } }

    /// Waits until a message containing `fragment` arrives after message number `after`; returns its index.
    func waitFor(_ fragment: String, after: Int = 0, timeout: Duration = .seconds(20)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let all = received
            if let index = all.indices.first(where: { $0 >= after && all[$0].1.contains(fragment) }) { return index }
            try await Task.sleep(for: .milliseconds(20))
        }
        throw TestFailure("no sd_notify message with '\(fragment)' after #\(after); got: \(received.map(\.1))")
    }

    func stop() { stopped.store(true, ordering: .relaxed) }
}
