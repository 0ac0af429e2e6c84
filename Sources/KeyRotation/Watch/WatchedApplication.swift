/// One application the expiry watch reads: configured to be rotated, or only watched.
public struct WatchedApplication: Sendable {
    /// The configured name.
    public var name: String
    /// How long before a credential's end it is a warning.
    public var warning: Duration
    /// For an application keyrotd rotates, what its own secrets' display names start with
    /// (`keyrotd NAME `): the newest of them is the published one, whose nearing end starts a rotation.
    public var ownPrefix: String?
    /// Where its credentials are read.
    public var source: any ApplicationCredentialSource

    /// Creates a watched application.
    public init(name: String, warning: Duration, ownPrefix: String?, source: any ApplicationCredentialSource) {
        self.name = name
        self.warning = warning
        self.ownPrefix = ownPrefix
        self.source = source
    }
}
