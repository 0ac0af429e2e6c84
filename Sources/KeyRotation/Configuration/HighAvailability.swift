import FoundationEssentials

/// The `[ha]` table: this node's place in a group of keyrotd nodes that elect one leader on a
/// Blob Storage lease and keep the rotation journal in the same container.
public struct HighAvailability: Sendable, Hashable {
    /// The group's container, `https://ACCOUNT.blob.core.windows.net/CONTAINER`: the lease blob and
    /// the journal live in it.
    public var journal: URL
    /// The `[credential.NAME]` that reaches it (Storage Blob Data Contributor on the container).
    public var credential: String
    /// This node's name in the group (its status, the lease's holder, follower confirmations).
    public var node: String
    /// The lease's duration, 15 to 60 s; the leader renews every quarter of it.
    public var leaseDuration: Duration

    /// The longest request timeout a leader can honour: a change is sent only while the lease
    /// holds for the request's timeout, and just before a renewal the lease is trusted for three
    /// quarters of its duration less 5 s (40 s of a 60-s lease).
    public var longestRequestTimeout: Duration { leaseDuration * 3 / 4 - .seconds(5) }

    /// What an unset key means.
    public enum Defaults {
        /// Blob Storage's longest fixed lease: a stopped leader is replaced within a minute.
        public static let leaseDuration = Duration.seconds(60)
    }

    /// Creates the settings.
    public init(journal: URL, credential: String, node: String, leaseDuration: Duration = Defaults.leaseDuration) {
        self.journal = journal
        self.credential = credential
        self.node = node
        self.leaseDuration = leaseDuration
    }
}
