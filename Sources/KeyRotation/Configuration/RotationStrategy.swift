/// How a resource's two keys are rotated.
public enum RotationStrategy: String, Sendable, Codable, CaseIterable {
    /// Regenerate the standby key, publish it, wait `grace`, regenerate the other, publish it.
    /// Both keys are new after every rotation; consumers end on the key they started on.
    case full
    /// Regenerate the standby key and publish it; the previous key stays valid until the next rotation.
    case alternate
}
