import FoundationEssentials
import KeyRotation
import Logging

/// The client secrets of one app registration as an ``AddedCredentialProvider``, through Microsoft
/// Graph.
///
/// keyrotd's secrets carry a display name that says whose they are: `keyrotd NAME[@NODE] SLOT
/// ROTATION-START`. Only passwords whose name starts with this entry's `keyrotd NAME[@NODE] SLOT `
/// are ever removed: the slot's secret a rotation replaced, and the orphans an addition whose
/// answer was lost left behind (found by the rotation's own name, never added twice blindly).
/// Other parties' passwords are touched only to make room, and only when the operator allowed it.
public actor ApplicationSecretProvider: AddedCredentialProvider {
    private let name: String
    private let node: String?
    private let target: ApplicationTarget
    private let graph: GraphClient
    private let authority: String
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
        now: @escaping @Sendable () -> Date = { Date() },
        logger: Logger
    ) {
        self.name = name
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

    public func addKey(_ slot: KeySlot, rotationStartedAt start: Date) async throws -> AccessKeys {
        let application = try await read()
        let displayName = displayName(slot, rotationStartedAt: start)
        var passwords = application.passwords
        for orphan in passwords where orphan.displayName == displayName {
            // An addition of this rotation whose answer was lost: its secret is nowhere, so it goes.
            try await graph.removePassword(from: application.objectID, keyID: orphan.keyID)
            logger.notice(
                "removed the secret an earlier attempt of this rotation added without keyrotd receiving it",
                metadata: .fields([.key: .string(slot.rawValue), .keyID: .string(orphan.keyID)])
            )
        }
        passwords.removeAll { $0.displayName == displayName }
        if let limit = application.passwordLimit, passwords.count >= limit {
            try await makeRoom(application, passwords: passwords, limit: limit)
        }
        let added = try await graph.addPassword(
            to: application.objectID,
            displayName: displayName,
            end: now().addingTimeInterval(target.lifetime.seconds)
        )
        var keys = AccessKeys()
        keys[slot] = AccessKey(value: added.secret, endpoint: authority, name: application.clientID)
        return keys
    }

    public func retireKey(_ slot: KeySlot) async throws {
        let application = try await read()
        for password in application.passwords where password.displayName.hasPrefix(prefix(slot)) {
            let removed = try await graph.removePassword(from: application.objectID, keyID: password.keyID)
            logger.debug(
                removed ? "removed the replaced secret" : "the replaced secret was gone already",
                metadata: .fields([.key: .string(slot.rawValue), .keyID: .string(password.keyID)])
            )
        }
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
