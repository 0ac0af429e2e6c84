/// How the upstream of a rotated credential holds it, which decides the shape of a rotation.
public enum CredentialModel: Sendable, Hashable {
    /// Two keys that always exist and can be read at any time (ARM's `listKeys`); regenerating one
    /// replaces its value. A lost value is read again.
    case keyPair
    /// Credentials that are added and removed, whose secret exists only in the answer of the add
    /// (an application's client secrets through Microsoft Graph). A rotation adds one, publishes
    /// it, and after `grace` removes the one it replaced; the slots name keyrotd's two credentials.
    /// A secret lost before it was published is found again only in the outputs, or replaced.
    case addAndRemove
}
