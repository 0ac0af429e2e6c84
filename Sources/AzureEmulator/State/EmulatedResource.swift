import FoundationEssentials

/// One resource as the emulator keeps it: its id and its keys.
struct EmulatedResource: Sendable {
    /// Which key of the resource: a pair's primary or secondary, read-write or read-only.
    enum Slot: String, Sendable, CaseIterable {
        case primary
        case secondary
        case primaryReadOnly
        case secondaryReadOnly
    }

    /// One key.
    struct Key: Sendable {
        /// The key.
        var value: String
        /// Its id (App Configuration's `Id=`), new with every value.
        var id: String
        /// Monotonic seconds before which the data plane still refuses it (`--key-validity-delay`).
        var validFrom: Double = 0
    }

    /// The type.
    var type: EmulatedType
    /// The subscription id.
    var subscription: String
    /// The resource group.
    var resourceGroup: String
    /// The names after each type segment (`ns-001`, `keyrotd`).
    var names: [String]
    /// The immutable resource id (in data-plane identity ids).
    var immutableID: String
    /// The keys the type has.
    var keys: [Slot: Key]

    /// Creates a resource of `type` with fresh keys.
    init(type: EmulatedType, subscription: String, resourceGroup: String, names: [String]) {
        self.type = type
        self.subscription = subscription
        self.resourceGroup = resourceGroup
        self.names = names
        self.immutableID = UUID().uuidString.lowercased()
        let slots: [Slot] = type.readOnlyPair ? Slot.allCases : [.primary, .secondary]
        self.keys = Dictionary(uniqueKeysWithValues: slots.map { ($0, Key(value: type.newKey(), id: Self.newKeyID())) })
    }

    /// The last name (the ACS data plane addresses resources by it; names are unique in the emulator).
    var name: String { names[names.count - 1] }

    /// The current primary key.
    var primaryKey: String { keys[.primary]!.value }
    /// The current secondary key.
    var secondaryKey: String { keys[.secondary]!.value }

    /// The keys the data plane accepts at monotonic time `now`.
    func validKeys(at now: Double) -> [String] {
        keys.values.filter { now >= $0.validFrom }.map(\.value)
    }

    /// The ARM id.
    var id: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(type.provider)"
            + zip(type.shape, names).map { "/\($0)/\($1)" }.joined()
    }

    /// The id of the top resource (the namespace of an authorization rule).
    var topID: String {
        "/subscriptions/\(subscription)/resourceGroups/\(resourceGroup)/providers/\(type.provider)/\(type.shape[0])/\(names[0])"
    }

    /// A key id as App Configuration gives them (`0-l4-s0:…`).
    static func newKeyID() -> String {
        "0-l4-s0:" + String(UUID().uuidString.replacing("-", with: "").prefix(20))
    }

    /// 64 random bytes, base64, like ACS keys (also the emulator's own secrets).
    static func newKey() -> String { EmulatedType.communication.newKey() }
}
