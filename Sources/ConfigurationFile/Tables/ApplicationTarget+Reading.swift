import FoundationEssentials
import KeyRotation

extension ConfigurationSchema {
    /// `client_id` of `[[application]]`.
    public static let applicationClientID = ConfigurationKey(
        "client_id",
        in: [.application],
        String.self,
        .string,
        default: .described("object_id names it instead"),
        "the application (client) id of the app registration; this or object_id"
    )
    /// `object_id` of `[[application]]`.
    public static let applicationObjectID = ConfigurationKey(
        "object_id",
        in: [.application],
        String.self,
        .string,
        default: .described("client_id names it instead"),
        "the app registration's object id (not its service principal's); this or client_id"
    )
    /// `tenant` of `[[application]]`.
    public static let applicationTenant = ConfigurationKey(
        "tenant",
        in: [.application],
        String.self,
        .string,
        default: .described("the credential's tenant"),
        "the directory the application is in: where keyrotd proves a new secret and consumers ask tokens ({{endpoint}} is its authority)"
    )
    /// `rotate` of `[[application]]`.
    public static let applicationRotate = ConfigurationKey(
        "rotate",
        in: [.application],
        Bool.self,
        .boolean,
        default: .boolean(true),
        "false: only watch the expiry of every credential of the application (no secret is added, no output written; Application.Read.All is enough)"
    )
    /// `lifetime` of `[[application]]`.
    public static let applicationLifetime = ConfigurationKey(
        "lifetime",
        in: [.application],
        Duration.self,
        .duration(.seconds(3600) ... .seconds(2 * 366 * 86_400)),
        default: .duration(ApplicationTarget.Defaults.lifetime),
        "each new secret's lifetime (its endDateTime); at least every + grace + 7 days, so a failing rotation has a week of retries before the published secret ends"
    )
    /// `expiry_warning` of `[[application]]`.
    public static let applicationExpiryWarning = ConfigurationKey(
        "expiry_warning",
        in: [.application],
        Duration.self,
        .duration(.seconds(60) ... .seconds(366 * 86_400)),
        default: .duration(ApplicationTarget.Defaults.expiryWarning),
        "a credential ending within this is a credential-expiring warning; a rotation starts when keyrotd's published secret does, whatever every says"
    )
    /// `settle` of `[[application]]`.
    public static let applicationSettle = ConfigurationKey(
        "settle",
        in: [.application],
        Duration.self,
        .duration(.zero ... .seconds(3600)),
        default: .duration(ApplicationTarget.Defaults.settle),
        "a new secret is published only after three token requests in a row with it succeeded over at least this long (Entra replicates a new secret for seconds to minutes)"
    )
    /// `make_room` of `[[application]]`.
    public static let applicationMakeRoom = ConfigurationKey(
        "make_room",
        in: [.application],
        Bool.self,
        .boolean,
        default: .boolean(false),
        "when the application holds as many passwords as Entra allows (two, with personal accounts), remove the one ending first that keyrotd did not make; off: the rotation fails and says so"
    )

    /// `own_secret` of `[[application]]`.
    public static let applicationOwnSecret = ConfigurationKey(
        "own_secret",
        in: [.application],
        Bool.self,
        .boolean,
        default: .boolean(false),
        "rotate the client secret keyrotd itself signs in with (its credential's, client_id by default): the new one goes to credentials_dir, and keyrotd signs in with it once proved; the credential's client_secret_file stays the bootstrap. No outputs"
    )

    /// `certificate` of `[[application]]`.
    public static let applicationCertificate = ConfigurationKey(
        "certificate",
        in: [.application],
        Bool.self,
        .boolean,
        default: .boolean(false),
        "rotate a certificate credential instead of a client secret: a new RSA key and self-signed certificate (lifetime long), added with a proof of possession; the file holds the key and the certificate (PEM)"
    )
    /// `proof_file` of `[[application]]`.
    public static let applicationProofFile = ConfigurationKey(
        "proof_file",
        in: [.application],
        ConfigurationPath.self,
        .path,
        default: .none,
        "with certificate: a PEM file with the key and certificate of a certificate the application has now, which signs the first proof of possession (later ones are signed by the certificate keyrotd published)"
    )

    /// The keys of `[[application]]` only, in the documentation's order.
    static let applicationKeys = [
        applicationClientID, applicationObjectID, applicationTenant, applicationRotate, applicationLifetime, applicationExpiryWarning,
        applicationSettle, applicationMakeRoom, applicationOwnSecret, applicationCertificate, applicationProofFile,
    ]
}

extension ApplicationTarget {
    /// Reads the application's own keys of an `[[application]]` whose `every` and `grace` are
    /// read; nil when it cannot be built.
    static func read(_ t: inout TableReader, every: Duration, grace: Duration, credential: String?) -> ApplicationTarget? {
        typealias Key = ConfigurationSchema
        let own = t.read(Key.applicationOwnSecret, as: Bool.self) ?? false
        var ownCredential: CredentialConfiguration?
        if own, let credential, let configured = t.document.credentials[credential] {
            guard case .clientSecret = configured.kind, configured.clientID != nil else {
                t.error(
                    Key.applicationOwnSecret,
                    "credential \(credential) signs in without a client secret file: only a client secret can be rotated by keyrotd itself"
                )
                return nil
            }
            ownCredential = configured
        }
        let givenClientID = t.read(Key.applicationClientID, as: String.self)
        let objectID = t.read(Key.applicationObjectID, as: String.self)
        let tenant = t.read(Key.applicationTenant, as: String.self) ?? ownCredential?.tenant
        let rotate = t.read(Key.applicationRotate, as: Bool.self) ?? true
        let lifetime = t.read(Key.applicationLifetime, as: Duration.self) ?? Defaults.lifetime
        let warning = t.read(Key.applicationExpiryWarning, as: Duration.self) ?? Defaults.expiryWarning
        let settle = t.read(Key.applicationSettle, as: Duration.self) ?? Defaults.settle
        let makeRoom = t.read(Key.applicationMakeRoom, as: Bool.self) ?? false
        let certificate = t.read(Key.applicationCertificate, as: Bool.self) ?? false
        let proofFile = t.read(Key.applicationProofFile, as: ConfigurationPath.self)?.string
        if certificate, own {
            t.error(Key.applicationCertificate, "own_secret rotates a client secret; keyrotd's own certificate is not rotated yet")
        }
        if proofFile != nil, !certificate { t.error(Key.applicationProofFile, "applies only with certificate = true") }
        for (key, value) in [(Key.applicationClientID, givenClientID), (Key.applicationObjectID, objectID)] {
            if let value, UUID(uuidString: value) == nil { t.error(key, "'\(value)' is not a GUID (xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx)") }
        }
        // keyrotd's own secret is its credential's application unless the table names it.
        let clientID = givenClientID ?? (objectID == nil ? ownCredential?.clientID : nil)
        let reference: ApplicationReference
        switch (clientID, objectID) {
        case (let id?, nil): reference = .clientID(id.lowercased())
        case (nil, let id?): reference = .objectID(id.lowercased())
        case (_?, _?):
            t.error(Key.applicationObjectID, "name the application once: client_id or object_id, not both")
            return nil
        case (nil, nil):
            t.error("names no application: set client_id = \"…\" (or object_id)")
            return nil
        }
        if rotate, lifetime < every + grace + Defaults.lifetimeMargin {
            t.error(
                t.contains(Key.applicationLifetime) ? Key.applicationLifetime : Key.every,
                "lifetime (\(DurationFormat.format(lifetime))) must be at least every + grace + 7 days (\(DurationFormat.format(every + grace + Defaults.lifetimeMargin))): the published secret must outlive its rotation, with time for retries"
            )
        }
        if own, !rotate { t.error(Key.applicationRotate, "own_secret rotates keyrotd's secret: it cannot be only watched") }
        if let clientID, let ownCredential, let own = ownCredential.clientID, clientID.lowercased() != own.lowercased() {
            t.error(Key.applicationClientID, "own_secret rotates credential \(ownCredential.name)'s secret, whose client_id is \(own)")
        }
        if rotate, warning >= lifetime {
            t.error(
                Key.applicationExpiryWarning,
                "must be shorter than lifetime (\(DurationFormat.format(lifetime))): every new secret would be due at once"
            )
        }
        return ApplicationTarget(
            reference: reference,
            tenant: tenant,
            rotate: rotate,
            lifetime: lifetime,
            expiryWarning: warning,
            settle: settle,
            makeRoom: makeRoom,
            ownCredential: ownCredential?.name,
            certificate: certificate,
            proofFile: proofFile
        )
    }
}
