/// One of the two keys of a pair (key1/key2, Primary/Secondary … as each type spells them).
public enum KeySlot: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case primary
    case secondary

    /// The other key of the pair.
    public var other: KeySlot { self == .primary ? .secondary : .primary }

    public var description: String { rawValue }
}
