/// A secret value (access key, connection string, client secret, token).
///
/// Every textual representation is redacted, so a secret that ends up in a log line, an error or
/// string interpolation by mistake prints `<redacted>`. Only ``exposedValue`` gives the value, and
/// only code that writes it to its one destination (a secret file, an HTTP header) should call it.
public struct Secret: Sendable, Hashable, CustomStringConvertible, CustomDebugStringConvertible, CustomReflectable {
    /// The value itself. Read it only where it is sent to its destination.
    public let exposedValue: String

    /// Wraps a secret value.
    public init(_ value: String) { self.exposedValue = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }
    public var customMirror: Mirror { Mirror(self, children: [:]) }

    /// A short, non-reversible fingerprint of the value, safe to log and to store.
    public var fingerprint: KeyFingerprint { KeyFingerprint(of: exposedValue) }
}
