/// What an `[[application]]` rotates or watches: an app registration's client secrets, through
/// Microsoft Graph.
public struct ApplicationTarget: Sendable, Equatable {
    /// How the configuration names the application.
    public var reference: ApplicationReference
    /// The directory (tenant) the application is in, for the token endpoint consumers and the
    /// verification use; the credential's tenant when `nil`.
    public var tenant: String?
    /// Whether keyrotd rotates its secret (`false`: it only watches every credential's expiry).
    public var rotate: Bool
    /// The lifetime of each secret keyrotd adds (its `endDateTime`).
    public var lifetime: Duration
    /// How long before a credential's end it is a warning; a rotation also starts when the
    /// published secret ends within it, whatever `every` says.
    public var expiryWarning: Duration
    /// How long a new secret must keep being accepted by the token endpoint before it is published.
    public var settle: Duration
    /// Whether keyrotd rotates a certificate credential (a key and self-signed certificate, added
    /// with a proof of possession) instead of a client secret.
    public var certificate: Bool
    /// A PEM file with the key and certificate of a certificate currently valid on the application,
    /// to sign the first proof of possession; later ones are signed by the certificate keyrotd published.
    public var proofFile: String?
    /// The `[credential.NAME]` whose own client secret this is (`own_secret`): the credentials
    /// directory is its output, and keyrotd signs in with it once it is proved.
    public var ownCredential: String?
    /// Whether keyrotd may remove another party's password, the one ending first, when the
    /// application holds as many as Entra allows (two, with personal accounts).
    public var makeRoom: Bool

    /// Creates a target.
    public init(
        reference: ApplicationReference,
        tenant: String? = nil,
        rotate: Bool = true,
        lifetime: Duration = Defaults.lifetime,
        expiryWarning: Duration = Defaults.expiryWarning,
        settle: Duration = Defaults.settle,
        makeRoom: Bool = false,
        ownCredential: String? = nil,
        certificate: Bool = false,
        proofFile: String? = nil
    ) {
        self.ownCredential = ownCredential
        self.certificate = certificate
        self.proofFile = proofFile
        self.reference = reference
        self.tenant = tenant
        self.rotate = rotate
        self.lifetime = lifetime
        self.expiryWarning = expiryWarning
        self.settle = settle
        self.makeRoom = makeRoom
    }

    /// The settings an `[[application]]` leaves out.
    public enum Defaults {
        /// A secret's lifetime: 90 days, which `every + grace` plus a margin must fit in.
        public static let lifetime: Duration = .seconds(90 * 86_400)
        /// The warning lead before a credential's end.
        public static let expiryWarning: Duration = .seconds(14 * 86_400)
        /// The settle time of a new secret at the token endpoint.
        public static let settle: Duration = .seconds(30)
        /// The least room a lifetime leaves after `every + grace`, for retries of a failing rotation.
        public static let lifetimeMargin: Duration = .seconds(7 * 86_400)
    }
}

/// What a `[[resource]]` or `[[application]]` entry rotates.
public enum RotationTarget: Sendable, Equatable {
    /// An Azure resource's pair of keys, through ARM.
    case arm(ResourceID)
    /// An app registration's client secrets, through Microsoft Graph. Indirect: the thousands of
    /// resources pay one word for the rarer case.
    indirect case application(ApplicationTarget)

    /// The string a state record holds so a renamed entry never adopts another's state: the ARM
    /// id, or `application:` and the application's id.
    public var recordID: String {
        switch self {
        case .arm(let id): id.path
        case .application(let target):
            switch target.reference {
            case .clientID(let id): "application:appId=\(id)"
            case .objectID(let id): "application:\(id)"
            }
        }
    }

    /// The type name in status and metrics: the resource type's, or `entraApplication`.
    public var typeName: String {
        switch self {
        case .arm(let id): id.type.name
        case .application: "entraApplication"
        }
    }
}
