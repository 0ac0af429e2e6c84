import Glibc
import KeyRotation

/// Replaces files atomically and durably: a temporary file in the same directory, created
/// `O_EXCL|O_NOFOLLOW|O_CLOEXEC` with mode 0600, given its final mode and group before any byte is
/// written, fsynced, renamed over the target, then the directory fsynced. A symbolic link as the
/// directory or the target is refused. On any failure the temporary file is removed and the previous
/// file is untouched.
public struct AtomicFileWriter: Sendable {
    /// Called between steps with the step's name; a test hook that can throw to simulate a failure there.
    public typealias FaultHook = @Sendable (String) throws -> Void

    private let faultHook: FaultHook?

    /// Creates a writer. `faultHook` is for tests only.
    public init(faultHook: FaultHook? = nil) {
        self.faultHook = faultHook
    }

    /// Writes `bytes` to `name` inside `directory`.
    ///
    /// - Parameters:
    ///   - mode: the final permission bits.
    ///   - group: the final group id, or `nil` to keep the process's.
    public func write(_ bytes: [UInt8], to name: String, in directory: String, mode: mode_t, group: gid_t? = nil) throws {
        let directoryFD = try Self.openDirectory(directory)
        defer { close(directoryFD) }
        let target = "\(directory)/\(name)"
        var info = stat()
        if fstatat(directoryFD, name, &info, AT_SYMLINK_NOFOLLOW) == 0, (info.st_mode & S_IFMT) == S_IFLNK {
            throw FileSystemError("write", path: target, errno: ELOOP, reason: "the target is a symbolic link; refusing to write a secret through it")
        }
        let temporary = ".\(name).tmp-\(UInt32.random(in: .min ... .max))"
        let fd = openat(directoryFD, temporary, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0o600)
        guard fd >= 0 else { throw FileSystemError("create temporary file in", path: directory, errno: errno) }
        var committed = false
        defer {
            if !committed { unlinkat(directoryFD, temporary, 0) }
        }
        do {
            defer { close(fd) }
            try step("fchown")
            if let group, fchown(fd, uid_t.max, group) != 0 {
                throw FileSystemError("chown (group \(group))", path: target, errno: errno)
            }
            try step("fchmod")
            if fchmod(fd, mode) != 0 { throw FileSystemError("chmod", path: target, errno: errno) }
            try step("write")
            try Self.writeAll(fd, bytes, path: target)
            try step("fsync")
            if fsync(fd) != 0 { throw FileSystemError("fsync", path: target, errno: errno) }
        }
        try step("rename")
        if renameat(directoryFD, temporary, directoryFD, name) != 0 {
            throw FileSystemError("rename into place", path: target, errno: errno)
        }
        committed = true
        try step("fsync-directory")
        if fsync(directoryFD) != 0 { throw FileSystemError("fsync directory", path: directory, errno: errno) }
    }

    /// Reads a whole file without following a symbolic link, or `nil` when it is missing or unreadable.
    public static func read(_ name: String, in directory: String, limit: Int = 1 << 20) -> [UInt8]? {
        let fd = open("\(directory)/\(name)", O_RDONLY | O_CLOEXEC | O_NOFOLLOW)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        while out.count <= limit {
            let n = buffer.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress, $0.count) }
            if n < 0 {
                if errno == EINTR { continue }
                return nil
            }
            if n == 0 { return out }
            out.append(contentsOf: buffer[0..<n])
        }
        return nil
    }

    /// The id of group `name`, for a file's configured group.
    ///
    /// - Throws: ``FileSystemError`` when the group does not exist.
    public static func group(named name: String) throws -> gid_t {
        guard let entry = getgrnam(name) else {
            throw FileSystemError("look up group", path: name, errno: ENOENT, reason: "group '\(name)' does not exist")
        }
        return entry.pointee.gr_gid
    }

    /// Creates `directory` (mode `mode`) if it does not exist, refusing a symbolic link.
    public static func ensureDirectory(_ directory: String, mode: mode_t) throws {
        var info = stat()
        if lstat(directory, &info) == 0 {
            if (info.st_mode & S_IFMT) == S_IFLNK {
                throw FileSystemError("use directory", path: directory, errno: ELOOP, reason: "is a symbolic link; give the real path")
            }
            if (info.st_mode & S_IFMT) != S_IFDIR {
                throw FileSystemError("use directory", path: directory, errno: ENOTDIR)
            }
            return
        }
        let parent = directory.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        if !parent.isEmpty { try ensureDirectory(parent, mode: 0o755) }
        if mkdir(directory, mode) != 0 && errno != EEXIST {
            throw FileSystemError("create directory", path: directory, errno: errno)
        }
        // mkdir applies the umask (systemd units often set UMask=0077); the mode asked for is meant exactly.
        if chmod(directory, mode) != 0 { throw FileSystemError("chmod", path: directory, errno: errno) }
    }

    /// Makes `directory` (never a symbolic link) for keyrotd alone: mode 0700, whatever it had.
    public static func ensurePrivateDirectory(_ directory: String) throws {
        try ensureDirectory(directory, mode: 0o700)
        if chmod(directory, 0o700) != 0 { throw FileSystemError("chmod", path: directory, errno: errno) }
    }

    private func step(_ name: String) throws {
        try faultHook?(name)
    }

    private static func openDirectory(_ directory: String) throws -> Int32 {
        var info = stat()
        guard lstat(directory, &info) == 0 else { throw FileSystemError("open directory", path: directory, errno: errno) }
        if (info.st_mode & S_IFMT) == S_IFLNK {
            throw FileSystemError("open directory", path: directory, errno: ELOOP, reason: "is a symbolic link; refusing to write secrets through it")
        }
        let fd = open(directory, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC)
        guard fd >= 0 else { throw FileSystemError("open directory", path: directory, errno: errno) }
        return fd
    }

    private static func writeAll(_ fd: Int32, _ bytes: [UInt8], path: String) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes.withUnsafeBytes { Glibc.write(fd, $0.baseAddress! + offset, $0.count - offset) }
            if n < 0 {
                if errno == EINTR { continue }
                throw FileSystemError("write", path: path, errno: errno)
            }
            offset += n
        }
    }
}
