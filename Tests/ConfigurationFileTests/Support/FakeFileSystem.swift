import ConfigurationFile
import KeyRotation

/// A host made of a few files, groups and zones, so the reading is tested without this machine's.
struct FakeFileSystem: ConfigurationFileSystem {
    /// Each file's status, as `stat` (following links) gives it.
    var files: [String: FileStatus] = [:]
    /// Symbolic links and where they point.
    var links: [String: String] = [:]
    /// What this process may read; every file in ``files`` unless listed in ``unreadable``.
    var unreadable: Set<String> = []
    /// The groups that exist.
    var groups: Set<String> = []
    /// The zones the system's zoneinfo has.
    var zones: [String: TimeZoneRules] = ["UTC": .utc]
    var hostTimeZone = TimeZoneRules.utc
    var currentDirectory = "/"

    func status(of path: String, followingLinks: Bool) -> FileStatus? {
        if let target = links[path] {
            return followingLinks ? files[target] : FileStatus(kind: .symbolicLink, mode: 0o777)
        }
        return files[path]
    }

    func isAccessible(_ path: String, for access: FileAccess) -> Bool {
        guard let status = status(of: path, followingLinks: true) else { return false }
        switch access {
        case .exists: return true
        case .read: return !unreadable.contains(path)
        case .execute: return status.mode & 0o111 != 0
        }
    }

    func groupExists(_ name: String) -> Bool { groups.contains(name) }

    func timeZone(named name: String) throws(TimeZoneRules.Problem) -> TimeZoneRules {
        guard let zone = zones[name] else { throw TimeZoneRules.Problem(description: "no time zone '\(name)' in the fake zoneinfo") }
        return zone
    }
}
