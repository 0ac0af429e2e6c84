import FoundationEssentials

/// One credential of an app registration as Microsoft Graph lists it: never its secret, which Graph
/// shows only once, in the answer of `addPassword`.
public struct ApplicationCredential: Sendable, Equatable {
    /// A client secret or a certificate.
    public enum Kind: String, Sendable, Equatable {
        /// A `passwordCredential`.
        case password
        /// A `keyCredential` (an `AsymmetricX509Cert`).
        case certificate
    }

    /// Which list it is in.
    public var kind: Kind
    /// Graph's `keyId`.
    public var keyID: String
    /// Graph's `displayName` (empty when it has none).
    public var displayName: String
    /// `startDateTime`, when Graph gives one.
    public var start: Date?
    /// `endDateTime`: after it the token endpoint refuses the credential (AADSTS7000222).
    public var end: Date
    /// A certificate's `customKeyIdentifier`: its SHA-1 thumbprint in hex.
    public var thumbprint: String?

    /// Creates a credential.
    public init(kind: Kind, keyID: String, displayName: String, start: Date?, end: Date, thumbprint: String? = nil) {
        self.thumbprint = thumbprint
        self.kind = kind
        self.keyID = keyID
        self.displayName = displayName
        self.start = start
        self.end = end
    }
}

/// How the configuration names an app registration: Graph addresses it by object id, or by
/// application (client) id as `applications(appId='…')`.
public enum ApplicationReference: Sendable, Equatable, CustomStringConvertible {
    /// The application (client) id.
    case clientID(String)
    /// The application object's id.
    case objectID(String)

    /// `client id …` or `object id …`, for messages.
    public var description: String {
        switch self {
        case .clientID(let id): "client id \(id)"
        case .objectID(let id): "object id \(id)"
        }
    }
}
