import KeyRotation

/// What reading a configuration asks of the host: whether files exist with safe modes, whether
/// programs are executable, whether groups exist, and the system's time zones. A port, so that
/// the reading is tested without the host's files, users and zoneinfo.
public protocol ConfigurationFileSystem: Sendable {
    /// The status of `path` (of the link itself when `followingLinks` is false), or nil when it does not exist.
    func status(of path: String, followingLinks: Bool) -> FileStatus?
    /// Whether this process may open `path` for `access`.
    func isAccessible(_ path: String, for access: FileAccess) -> Bool
    /// Whether the group `name` exists.
    func groupExists(_ name: String) -> Bool
    /// The rules of the IANA zone `name` from the system's zoneinfo.
    func timeZone(named name: String) throws(TimeZoneRules.Problem) -> TimeZoneRules
    /// The host's own zone (`/etc/localtime`), UTC when it has none.
    var hostTimeZone: TimeZoneRules { get }
    /// The working directory, which a configuration read from a relative path is relative to.
    var currentDirectory: String { get }
}

/// What `stat` says of a file, as far as a configuration check needs.
public struct FileStatus: Sendable, Equatable {
    /// The type of file.
    public enum Kind: Sendable, Equatable {
        /// A regular file.
        case regular
        /// A directory.
        case directory
        /// A symbolic link (only when not following links).
        case symbolicLink
        /// A socket, device or pipe.
        case other
    }

    /// Its type.
    public var kind: Kind
    /// Its permission bits (`0o7777`).
    public var mode: UInt32

    /// Creates a status.
    public init(kind: Kind, mode: UInt32) {
        self.kind = kind
        self.mode = mode
    }
}

/// What a process may do with a file, as `access(2)` checks it.
public enum FileAccess: Sendable {
    /// It exists.
    case exists
    /// It can be read.
    case read
    /// It can be executed.
    case execute
}
