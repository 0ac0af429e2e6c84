/// One of the two access keys an ACS resource has.
public enum KeySlot: String, Sendable, Codable, CaseIterable, CustomStringConvertible {
    case primary
    case secondary

    /// The other key of the pair.
    public var other: KeySlot { self == .primary ? .secondary : .primary }

    /// The spelling ARM expects in `RegenerateKeyParameters.keyType`.
    public var armKeyType: String { self == .primary ? "Primary" : "Secondary" }

    public var description: String { rawValue }
}
