import FoundationEssentials
import KeyRotation
import Logging

/// The client secrets, or the certificates, of one app registration as an ``AddedCredentialProvider``,
/// through Microsoft Graph.
///
/// keyrotd's secrets carry a display name that says whose they are: `keyrotd NAME[@NODE] SLOT
/// ROTATION-START`. Only credentials whose name starts with this entry's `keyrotd NAME[@NODE] SLOT `
/// are ever removed: the slot's secret a rotation replaced, and the orphans an addition whose
/// answer was lost left behind (found by the rotation's own name, never added twice blindly).
/// Other parties' passwords are touched only to make room, and only when the operator allowed it.
///
/// A certificate is a new RSA key and self-signed certificate, added (`addKey`) and removed
/// (`removeKey`) with a proof of possession signed by a certificate valid on the application: the
/// one the first of `proofFiles` holds that is (the published certificate, then the bootstrap).
public actor ApplicationCredentialProvider: AddedCredentialProvider {
    private let name: String
    private let node: String?
    private let target: ApplicationTarget
    private let graph: GraphClient
    private let authority: String
    private let proofFiles: [String]
    private let now: @Sendable () -> Date
    private let logger: Logger
    /// The object id and client id, once read: Graph's actions address the object id, consumers
    /// need the client id.
    private var ids: (object: String, client: String)?

    /// Creates the provider of `name`'s application (`target`) with secrets published beside
    /// `authority` (`https://login.microsoftonline.com/TENANT`, what consumers ask tokens of);
    /// `node` names a high-availability node for its own credential.
    public init(
        name: String,
        node: String? = nil,
        target: ApplicationTarget,
        graph: GraphClient,
        authority: String,
        proofFiles: [String] = [],
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.name = name
        self.proofFiles = proofFiles
        self.node = node
        self.target = target
        self.graph = graph
        self.authority = authority
        self.now = now
        var logger = logger
        logger[field: .resource] = .string(name)
        self.logger = logger
    }

    /// What the display name of every secret of entry `name` (of `node`'s own credential) starts with.
    public static func ownPrefix(name: String, node: String? = nil) -> String {
        "keyrotd \(name)\(node.map { "@" + $0 } ?? "") "
    }

    /// What every display name of `slot` starts with.
    func prefix(_ slot: KeySlot) -> String {
        Self.ownPrefix(name: name, node: node) + slot.rawValue + " "
    }

    /// The display name of `slot`'s secret of the rotation that started at `start`.
    func displayName(_ slot: KeySlot, rotationStartedAt start: Date) -> String {
        prefix(slot) + start.formatted(.iso8601)
    }

    /// The kind of credential this entry rotates.
    private var kind: ApplicationCredential.Kind { target.certificate ? .certificate : .password }

    public func addKey(_ slot: KeySlot, rotationStartedAt start: Date) async throws -> AccessKeys {
        let application = try await read()
        let displayName = displayName(slot, rotationStartedAt: start)
        for orphan in application.credentials where orphan.kind == kind && orphan.displayName == displayName {
            // An addition of this rotation whose answer was lost: its secret is nowhere, so it goes.
            try await remove(orphan, of: application)
            logger.notice(
                "removed the credential an earlier attempt of this rotation added without keyrotd receiving it",
                metadata: .fields([.key: .string(slot.rawValue), .keyID: .string(orphan.keyID)])
            )
        }
        let secret: Secret
        if target.certificate {
            let signer = try proofSigner(application)
            let certificate = try ApplicationCertificate.make(subject: displayName, lifetime: target.lifetime, now: now())
            let proof = try signer.proof(objectID: application.objectID, now: now())
            _ = try await graph.addKey(to: application.objectID, certificate: certificate.certificateDER, displayName: displayName, proof: proof)
            secret = certificate.pem
        } else {
            let passwords = application.passwords.filter { $0.displayName != displayName }
            if let limit = application.passwordLimit, passwords.count >= limit {
                try await makeRoom(application, passwords: passwords, limit: limit)
            }
            let end = now().addingTimeInterval(target.lifetime.seconds)
            secret = try await graph.addPassword(to: application.objectID, displayName: displayName, end: end).secret
        }
        var keys = AccessKeys()
        keys[slot] = AccessKey(value: secret, endpoint: authority, name: application.clientID)
        return keys
    }

    public func retireKey(_ slot: KeySlot) async throws {
        let application = try await read()
        for credential in application.credentials where credential.kind == kind && credential.displayName.hasPrefix(prefix(slot)) {
            let removed = try await remove(credential, of: application)
            logger.debug(
                removed ? "removed the replaced credential" : "the replaced credential was gone already",
                metadata: .fields([.key: .string(slot.rawValue), .keyID: .string(credential.keyID)])
            )
        }
    }

    /// Removes `credential` (a certificate with a proof of possession); `false` when it was gone.
    @discardableResult
    private func remove(_ credential: ApplicationCredential, of application: GraphApplication) async throws -> Bool {
        guard credential.kind == .certificate else {
            return try await graph.removePassword(from: application.objectID, keyID: credential.keyID)
        }
        let proof = try proofSigner(application).proof(objectID: application.objectID, now: now())
        return try await graph.removeKey(from: application.objectID, keyID: credential.keyID, proof: proof)
    }

    /// The first certificate of `proofFiles` that is valid on `application` now.
    private func proofSigner(_ application: GraphApplication) throws -> ApplicationCertificate {
        let valid = Set(application.credentials.filter { $0.kind == .certificate && $0.end > now() }.compactMap { $0.thumbprint?.uppercased() })
        for file in proofFiles {
            guard let data = FileManager.default.contents(atPath: file),
                let certificate = ApplicationCertificate(pem: String(decoding: data, as: UTF8.self)), valid.contains(certificate.thumbprint)
            else { continue }
            return certificate
        }
        throw NoProofCertificate(application: name, files: proofFiles)
    }

    public func material(_ slot: KeySlot, secret: Secret) async throws -> KeyMaterial {
        var client = ids?.client
        if client == nil { client = try await read().clientID }
        return KeyMaterial(slot: slot, key: secret, connectionString: nil, endpoint: authority, keyName: client ?? "")
    }

    /// An application's secrets cannot be listed: Graph shows each once, when it is added.
    public func listKeys() async throws -> AccessKeys { throw CredentialModelMismatch(action: "listKeys") }

    /// Secrets are added and removed, never regenerated in place.
    public func regenerateKey(_ slot: KeySlot, accepted: @Sendable (LongRunningOperation) async throws -> Void) async throws -> AccessKeys {
        throw CredentialModelMismatch(action: "regenerateKey")
    }

    /// Graph runs nothing in the background.
    public func resumeRegeneration(_ operation: LongRunningOperation) async throws -> LongRunningOperation.Outcome {
        throw CredentialModelMismatch(action: "resumeRegeneration")
    }

    /// The application now, remembering its ids.
    private func read() async throws -> GraphApplication {
        let application = try await graph.application(ids.map { .objectID($0.object) } ?? target.reference)
        ids = (application.objectID, application.clientID)
        return application
    }

    /// Removes another party's password, the one that ends first, when the operator allowed it;
    /// else says what blocks the addition.
    private func makeRoom(_ application: GraphApplication, passwords: [ApplicationCredential], limit: Int) async throws {
        let others = passwords.filter { !$0.displayName.hasPrefix(Self.ownPrefix(name: name, node: node)) }
        guard target.makeRoom, let victim = others.min(by: { $0.end < $1.end }) else {
            throw PasswordLimitReached(application: name, limit: limit, others: others.count, makeRoom: target.makeRoom)
        }
        try await graph.removePassword(from: application.objectID, keyID: victim.keyID)
        logger.warning(
            "removed a password keyrotd did not make, to make room (make_room = true)",
            metadata: .fields([.keyID: .string(victim.keyID), .displayName: .string(victim.displayName)])
        )
    }
}

/// An application holds as many passwords as Entra allows, and keyrotd may not remove one it did
/// not make.
public struct PasswordLimitReached: CodedError, CustomStringConvertible {
    /// The configured entry.
    public var application: String
    /// Entra's limit.
    public var limit: Int
    /// How many of the passwords are another party's.
    public var others: Int
    /// Whether the operator allowed making room (with no other party's password to remove).
    public var makeRoom: Bool

    public var code: String { "password-limit" }

    public var description: String {
        "application \(application) holds \(limit) passwords, the most Entra allows (its sign-in audience includes personal Microsoft accounts), "
            + "\(others) of them not keyrotd's: "
            + (makeRoom
                ? "keyrotd's own two leave no room; wait for the replaced one's removal after grace"
                : "remove one that nothing uses, or let keyrotd remove the one ending first with make_room = true on this application")
    }
}

/// No file at hand holds a certificate currently valid on the application, which a proof of
/// possession must be signed with.
public struct NoProofCertificate: CodedError, CustomStringConvertible {
    /// The configured entry.
    public var application: String
    /// The files looked in.
    public var files: [String]

    public var code: String { "no-proof-certificate" }

    public var description: String {
        "no certificate valid on application \(application) is at hand to sign the proof of possession (looked in \(files.joined(separator: ", "))): "
            + "give proof_file = a PEM file with the key and certificate of one the application has now"
    }
}
