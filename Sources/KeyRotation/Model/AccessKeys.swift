/// What ARM returns for `listKeys` and a regeneration, once read by the resource's type: either
/// key or both (a regeneration may answer with only the regenerated one).
public struct AccessKeys: Sendable, Equatable {
    /// The primary key, if the answer carried it.
    public var primary: AccessKey?
    /// The secondary key, if the answer carried it.
    public var secondary: AccessKey?

    /// Creates a key set; absent keys stay `nil`.
    public init(primary: AccessKey? = nil, secondary: AccessKey? = nil) {
        self.primary = primary
        self.secondary = secondary
    }

    /// The key of `slot`.
    public subscript(slot: KeySlot) -> AccessKey? {
        get { slot == .primary ? primary : secondary }
        set { if slot == .primary { primary = newValue } else { secondary = newValue } }
    }

    /// The key value of `slot`, if the answer carried it.
    public func key(_ slot: KeySlot) -> Secret? { self[slot]?.value }

    /// The complete material for publishing `slot`, or `nil` when the answer lacks it.
    public func material(_ slot: KeySlot) -> KeyMaterial? {
        self[slot].map { KeyMaterial(slot: slot, key: $0.value, connectionString: $0.connectionString, endpoint: $0.endpoint, keyName: $0.name) }
    }
}

/// One key of a resource, with what consumers need beside it.
public struct AccessKey: Sendable, Equatable {
    /// The key.
    public var value: Secret
    /// The connection string built on it, for types that have one.
    public var connectionString: Secret?
    /// The data-plane endpoint (not secret).
    public var endpoint: String
    /// The key's name as consumers need it (`key1`, the rule name, App Configuration's key id).
    public var name: String

    /// Creates a key.
    public init(value: Secret, connectionString: Secret? = nil, endpoint: String, name: String) {
        self.value = value
        self.connectionString = connectionString
        self.endpoint = endpoint
        self.name = name
    }
}

/// Everything needed to publish one key.
public struct KeyMaterial: Sendable, Equatable {
    /// Which key this is.
    public var slot: KeySlot
    /// The access key.
    public var key: Secret
    /// The connection string built on it, for types that have one.
    public var connectionString: Secret?
    /// The data-plane endpoint (not secret).
    public var endpoint: String
    /// The key's name as consumers need it (`{{keyName}}`).
    public var keyName: String

    /// Creates key material.
    public init(slot: KeySlot, key: Secret, connectionString: Secret?, endpoint: String, keyName: String) {
        self.slot = slot
        self.key = key
        self.connectionString = connectionString
        self.endpoint = endpoint
        self.keyName = keyName
    }

    /// The connection string where the type has one, the key otherwise: what a file of one value holds.
    public var value: Secret { connectionString ?? key }

    /// The fingerprint of the key.
    public var fingerprint: KeyFingerprint { key.fingerprint }
}
