import FoundationEssentials

/// What `keyrotd status` shows for one follower (`[[follow]]`): the version it delivered, never a value.
public struct FollowerStatus: Sendable, Codable, Equatable {
    /// The follower's name.
    public var name: String
    /// What it follows: `SECRET in VAULT`.
    public var source: String
    /// The file it writes, inside the secrets directory.
    public var file: String
    /// The Key Vault version delivered last, if any.
    public var version: String?
    /// That version's fingerprint (the leader's `keyrotd-fingerprint` tag).
    public var fingerprint: String?
    /// Its key slot (the leader's `keyrotd-key` tag), when the leader is keyrotd.
    public var key: String?
    /// When it was delivered (file durable, hooks succeeded).
    public var deliveredAt: Date?
    /// When the vault was last asked.
    public var lastCheck: Date?
    /// Whether the delivered version carries this follower's confirmation; `nil` until known or when `confirm = false`.
    public var confirmed: Bool?
    /// Failed checks since the last success.
    public var consecutiveFailures: Int
    /// The last error, while failing.
    public var lastError: String?

    /// Creates a status.
    public init(
        name: String,
        source: String,
        file: String,
        version: String? = nil,
        fingerprint: String? = nil,
        key: String? = nil,
        deliveredAt: Date? = nil,
        lastCheck: Date? = nil,
        confirmed: Bool? = nil,
        consecutiveFailures: Int = 0,
        lastError: String? = nil
    ) {
        self.name = name
        self.source = source
        self.file = file
        self.version = version
        self.fingerprint = fingerprint
        self.key = key
        self.deliveredAt = deliveredAt
        self.lastCheck = lastCheck
        self.confirmed = confirmed
        self.consecutiveFailures = consecutiveFailures
        self.lastError = lastError
    }

    /// The part of `STATUS=` about followers: `2 followers current`, `1 of 2 followers failing`; `nil` without any.
    public static func summary(_ statuses: [FollowerStatus]) -> String? {
        summary(
            count: statuses.count,
            failing: statuses.filter { $0.consecutiveFailures > 0 }.count,
            withoutVersion: statuses.filter { $0.version == nil }.count
        )
    }

    /// The same from the counts, which a service of thousands of followers keeps as they poll.
    public static func summary(count: Int, failing: Int, withoutVersion: Int) -> String? {
        guard count > 0 else { return nil }
        let plural = count == 1 ? "follower" : "followers"
        if failing > 0 { return "\(failing) of \(count) \(plural) failing" }
        if withoutVersion > 0 { return "\(withoutVersion) of \(count) \(plural) without a version yet" }
        return "\(count) \(plural) current"
    }
}
