import FoundationEssentials

/// What a follower delivered last, stored durably after the file is written and the hooks
/// succeeded (`<state_dir>/followers/NAME.json`): it holds no value, and it is what keeps a
/// follower from ever writing an older version than the one it has.
public struct FollowerRecord: Sendable, Codable, Equatable {
    /// The Key Vault version.
    public var version: String
    /// When Key Vault created it.
    public var created: Date?
    /// Its fingerprint: the leader's `keyrotd-fingerprint` tag, else that of the value.
    public var fingerprint: String
    /// Its key slot (the leader's `keyrotd-key` tag), when the leader is keyrotd.
    public var key: String?
    /// When the file was durable and the hooks had succeeded.
    public var deliveredAt: Date
    /// The highest leadership epoch (`keyrotd-epoch`) of the versions delivered: a version of a
    /// lower one, written by a former leader of a high-availability group, is never delivered.
    public var epoch: Int?

    /// Creates a record.
    public init(version: String, created: Date?, fingerprint: String, key: String?, deliveredAt: Date, epoch: Int? = nil) {
        self.version = version
        self.created = created
        self.fingerprint = fingerprint
        self.key = key
        self.deliveredAt = deliveredAt
        self.epoch = epoch
    }
}
