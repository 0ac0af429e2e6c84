import FoundationEssentials
import KeyRotation

/// One version of a Key Vault secret: what `SecretBundle` (with the value) and `SecretItem`
/// (without) carry.
public struct KeyVaultSecretVersion: Sendable, Equatable {
    /// The version id (the last segment of `id`).
    public var version: String
    /// The value, when the answer carried it (a get or a set, not a listing or an update).
    public var value: Secret?
    /// Whether the version can be read.
    public var enabled: Bool
    /// The tags.
    public var tags: [String: String]
    /// The content type, if set.
    public var contentType: String?
    /// When the version was created.
    public var created: Date?
    /// When it expires (`exp`), if set.
    public var expires: Date?

    /// Creates a version.
    public init(
        version: String,
        value: Secret? = nil,
        enabled: Bool = true,
        tags: [String: String] = [:],
        contentType: String? = nil,
        created: Date? = nil,
        expires: Date? = nil
    ) {
        self.version = version
        self.value = value
        self.enabled = enabled
        self.tags = tags
        self.contentType = contentType
        self.created = created
        self.expires = expires
    }
}

extension KeyVaultSecretVersion {
    /// The wire shape of a bundle or item.
    struct Wire: Decodable {
        struct Attributes: Decodable {
            var enabled: Bool?
            var created: Double?
            var exp: Double?
        }
        var id: String
        var value: String?
        var contentType: String?
        var tags: [String: String]?
        var attributes: Attributes?
    }

    /// A version from its wire shape; `nil` when its id names no version.
    init?(_ wire: Wire) {
        let parts = wire.id.split(separator: "/")
        guard parts.count >= 2, parts[parts.count - 2] != "secrets", let version = parts.last, !version.isEmpty else { return nil }
        self.init(
            version: String(version),
            value: wire.value.map(Secret.init),
            enabled: wire.attributes?.enabled ?? true,
            tags: wire.tags ?? [:],
            contentType: wire.contentType,
            created: wire.attributes?.created.map { Date(timeIntervalSince1970: $0) },
            expires: wire.attributes?.exp.map { Date(timeIntervalSince1970: $0) }
        )
    }
}
