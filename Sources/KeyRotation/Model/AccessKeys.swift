/// What ARM returns for `listKeys` and `regenerateKey`: any subset of the four values.
///
/// `regenerateKey` may answer with only the regenerated half, so every field is optional.
public struct AccessKeys: Sendable, Equatable {
    /// The primary access key.
    public var primaryKey: Secret?
    /// The secondary access key.
    public var secondaryKey: Secret?
    /// `endpoint=…;accesskey=<primary>`.
    public var primaryConnectionString: Secret?
    /// `endpoint=…;accesskey=<secondary>`.
    public var secondaryConnectionString: Secret?

    /// Creates a key set; absent values stay `nil`.
    public init(
        primaryKey: Secret? = nil,
        secondaryKey: Secret? = nil,
        primaryConnectionString: Secret? = nil,
        secondaryConnectionString: Secret? = nil
    ) {
        self.primaryKey = primaryKey
        self.secondaryKey = secondaryKey
        self.primaryConnectionString = primaryConnectionString
        self.secondaryConnectionString = secondaryConnectionString
    }

    /// The key of `slot`, if the response carried it.
    public func key(_ slot: KeySlot) -> Secret? {
        slot == .primary ? primaryKey : secondaryKey
    }

    /// The connection string of `slot`, if the response carried it.
    public func connectionString(_ slot: KeySlot) -> Secret? {
        slot == .primary ? primaryConnectionString : secondaryConnectionString
    }

    /// The complete material for publishing `slot`, or `nil` when the response lacks part of it.
    public func material(_ slot: KeySlot) -> KeyMaterial? {
        guard let key = key(slot), let connectionString = connectionString(slot) else { return nil }
        return KeyMaterial(slot: slot, key: key, connectionString: connectionString)
    }
}

/// Everything needed to publish one key: the key and its connection string.
public struct KeyMaterial: Sendable, Equatable {
    /// Which key this is.
    public var slot: KeySlot
    /// The access key.
    public var key: Secret
    /// The connection string built on it (`endpoint=…;accesskey=…`).
    public var connectionString: Secret

    /// Creates key material.
    public init(slot: KeySlot, key: Secret, connectionString: Secret) {
        self.slot = slot
        self.key = key
        self.connectionString = connectionString
    }

    /// The `endpoint=` part of the connection string (not secret).
    public var endpoint: String {
        for part in connectionString.exposedValue.split(separator: ";") {
            let pieces = part.split(separator: "=", maxSplits: 1)
            if pieces.count == 2, pieces[0].lowercased() == "endpoint" { return String(pieces[1]) }
        }
        return ""
    }

    /// The fingerprint of the key.
    public var fingerprint: KeyFingerprint { key.fingerprint }
}
