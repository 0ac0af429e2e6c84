import FoundationEssentials
import Glibc

/// The command line's side of the control socket: a blocking client, for a short-lived process.
public struct ControlClient: Sendable {
    /// The socket.
    public let path: String

    /// Talks to the socket at `path`.
    public init(path: String) { self.path = path }

    /// No daemon listens at the socket (or it cannot be reached).
    public struct Unavailable: Error, CustomStringConvertible {
        /// Why.
        public var description: String

        /// Says why.
        public init(description: String) { self.description = description }
    }

    /// Sends `request` and hands each reply line to `onReply` as it arrives, until the daemon closes.
    public func send(_ request: ControlRequest, onReply: (ControlReply) throws -> Void) throws {
        let fd = socket(AF_UNIX, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw Unavailable(description: "socket: \(String(cString: strerror(errno)))") }
        defer { close(fd) }
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(path.utf8)
        guard bytes.count < MemoryLayout.size(ofValue: address.sun_path) else { throw Unavailable(description: "socket path too long: \(path)") }
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: bytes)
            raw[bytes.count] = 0
        }
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size)) }
        }
        guard connected == 0 else {
            throw Unavailable(description: "cannot connect to \(path): \(String(cString: strerror(errno)))")
        }
        var line = try JSONEncoder().encode(request)
        line.append(UInt8(ascii: "\n"))
        try line.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count {
                let written = write(fd, raw.baseAddress! + offset, raw.count - offset)
                if written < 0 {
                    if errno == EINTR { continue }
                    throw Unavailable(description: "writing to \(path): \(String(cString: strerror(errno)))")
                }
                offset += written
            }
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        var pending: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = read(fd, &chunk, chunk.count)
            if count < 0, errno == EINTR { continue }
            if count <= 0 { break }
            pending += chunk[..<count]
            while let end = pending.firstIndex(of: UInt8(ascii: "\n")) {
                try onReply(try decoder.decode(ControlReply.self, from: Data(pending[..<end])))
                pending.removeSubrange(...end)
            }
        }
    }
}
