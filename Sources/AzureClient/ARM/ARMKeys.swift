import KeyRotation

/// The keys of an ARM answer as the resource's type spells them, each checked against the type's
/// ``KeyValueRules``: either key or both, or neither for a regeneration whose answer has none.
public struct ARMKeys: Sendable, Equatable {
    /// One key of the answer.
    public struct Key: Sendable, Equatable {
        /// The key.
        public var value: Secret
        /// Its connection string, where the answer carries one.
        public var connectionString: Secret?
        /// The key's id (App Configuration), which names it in a regeneration.
        public var id: String?

        /// Creates a key.
        public init(value: Secret, connectionString: Secret? = nil, id: String? = nil) {
            self.value = value
            self.connectionString = connectionString
            self.id = id
        }
    }

    /// The primary key.
    public var primary: Key?
    /// The secondary key.
    public var secondary: Key?

    /// Creates a key set.
    public init(primary: Key? = nil, secondary: Key? = nil) {
        self.primary = primary
        self.secondary = secondary
    }

    /// The key of `slot`.
    public subscript(slot: KeySlot) -> Key? {
        get { slot == .primary ? primary : secondary }
        set { if slot == .primary { primary = newValue } else { secondary = newValue } }
    }

    /// Whether the answer held no key at all.
    public var isEmpty: Bool { primary == nil && secondary == nil }
}
