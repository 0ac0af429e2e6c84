/// What keyrotd.service's `LoadCredential=` hands over, so that `check`, run from a shell where
/// `CREDENTIALS_DIRECTORY` is not set, can tell whether `${CREDENTIALS_DIRECTORY}/ID` will exist
/// when the service starts.
public struct ServiceCredentials: Sendable, Equatable {
    /// The unit, for messages.
    public var unit: String
    /// Credential id → the source the unit names: an absolute path, or a name systemd looks up in
    /// ``searchDirectories`` (what a `LoadCredential=ID` without a path means).
    public var sources: [String: String]
    /// Where systemd 252 looks for a source that is not an absolute path, in its order.
    public var searchDirectories: [String]

    /// The directories systemd searches for `LoadCredential=ID` without a path.
    public static let credentialStores = ["/etc/credstore", "/run/credstore", "/usr/lib/credstore"]

    /// Creates the description of `unit`'s hand-over.
    public init(unit: String = "keyrotd.service", sources: [String: String], searchDirectories: [String] = Self.credentialStores) {
        self.unit = unit
        self.sources = sources
        self.searchDirectories = searchDirectories
    }

    /// Why the hand-over could not be read (systemd not running here, the unit not installed).
    public struct Unavailable: Error, Sendable, Equatable, CustomStringConvertible {
        /// The reason, for the operator.
        public var description: String

        /// Creates the reason.
        public init(_ description: String) {
            self.description = description
        }
    }

    /// Where a credential comes from.
    public enum Source: Sendable, Equatable {
        /// This path exists (a file, a directory or a socket: all valid sources).
        case found(String)
        /// The unit loads the credential, but from none of these paths, which do not exist.
        case missing(lookedIn: [String])
        /// The unit has no `LoadCredential=` for this id.
        case notLoaded
    }

    /// The credential id of `path` when it lies in `directory` (the credentials directory, or its
    /// unexpanded `${CREDENTIALS_DIRECTORY}`): its first component there, since a directory can be a
    /// credential too.
    public static func id(of path: String, in directory: String) -> String? {
        guard path.hasPrefix(directory + "/") else { return nil }
        return path.dropFirst(directory.count + 1).split(separator: "/").first.map(String.init)
    }

    /// Where credential `id` would come from if the service started now, looked up in `files`.
    public func source(of id: String, in files: any ConfigurationFileSystem = HostFileSystem()) -> Source {
        guard let source = sources[id] else { return .notLoaded }
        let candidates = source.hasPrefix("/") ? [source] : searchDirectories.map { $0 + "/" + source }
        if let found = candidates.first(where: { files.isAccessible($0, for: .exists) }) { return .found(found) }
        return .missing(lookedIn: candidates)
    }
}
