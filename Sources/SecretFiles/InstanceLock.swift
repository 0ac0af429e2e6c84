import FoundationEssentials
import Glibc

/// The single-instance lock: an exclusive `flock` on `<state_dir>/keyrotd.lock`, held for the life of
/// the process and released by the kernel when it exits (even on SIGKILL), so it never goes stale.
public final class InstanceLock: Sendable {
    private let fd: Int32

    /// Who holds the lock, when it cannot be taken.
    public struct Held: Error, Sendable, CustomStringConvertible {
        /// The lock file.
        public var path: String
        /// The process id written by the holder, if readable.
        public var holderPID: Int32?

        public var description: String {
            "another keyrotd (pid \(holderPID.map(String.init) ?? "unknown")) holds \(path); it manages these resources, so nothing was changed"
        }
    }

    /// Takes the lock without waiting.
    ///
    /// - Throws: ``Held`` when another process has it, ``FileSystemError`` when the file cannot be opened.
    public init(stateDirectory: String) throws {
        try AtomicFileWriter.ensureDirectory(stateDirectory, mode: 0o700)
        let path = stateDirectory + "/keyrotd.lock"
        let fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw FileSystemError("open lock", path: path, errno: errno) }
        if flock(fd, LOCK_EX | LOCK_NB) != 0 {
            let holder = AtomicFileWriter.read("keyrotd.lock", in: stateDirectory)
                .flatMap { Int32(String(decoding: $0, as: UTF8.self).trimmingWhitespace()) }
            close(fd)
            throw Held(path: path, holderPID: holder)
        }
        let pid = Array("\(getpid())\n".utf8)
        _ = ftruncate(fd, 0)
        _ = pid.withUnsafeBytes { pwrite(fd, $0.baseAddress, $0.count, 0) }
        self.fd = fd
    }

    deinit { close(fd) }
}
