import FoundationEssentials
import Glibc
import KeyRotation

/// The host's files, groups and zoneinfo, through `stat`, `access`, `getgrnam` and `/usr/share/zoneinfo`.
public struct HostFileSystem: ConfigurationFileSystem {
    /// Creates the port to this host.
    public init() {}

    public func status(of path: String, followingLinks: Bool) -> FileStatus? {
        var info = stat()
        guard (followingLinks ? stat(path, &info) : lstat(path, &info)) == 0 else { return nil }
        let kind: FileStatus.Kind =
            switch info.st_mode & S_IFMT {
            case S_IFREG: .regular
            case S_IFDIR: .directory
            case S_IFLNK: .symbolicLink
            default: .other
            }
        return FileStatus(kind: kind, mode: UInt32(info.st_mode) & 0o7777)
    }

    public func isAccessible(_ path: String, for access: FileAccess) -> Bool {
        let mode =
            switch access {
            case .exists: F_OK
            case .read: R_OK
            case .execute: X_OK
            }
        return Glibc.access(path, mode) == 0
    }

    public func groupExists(_ name: String) -> Bool { getgrnam(name) != nil }

    public func timeZone(named name: String) throws(TimeZoneRules.Problem) -> TimeZoneRules { try TimeZoneRules(named: name) }

    public var hostTimeZone: TimeZoneRules { Self.hostZone }

    public var currentDirectory: String { FileManager.default.currentDirectoryPath }

    /// Read once: a configuration of 10,000 resources in the host's zone asks for it 10,000 times.
    private static let hostZone: TimeZoneRules = (try? TimeZoneRules(file: "/etc/localtime", name: "the host's zone")) ?? .utc
}
