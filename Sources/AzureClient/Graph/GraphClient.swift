import FoundationEssentials
import KeyRotation
import Logging

/// Microsoft Graph's application credential calls (v1.0), as one credential.
///
/// Reads and removals are retried like any idempotent call. `addPassword` is not: a second one
/// would mint a second secret, so an answer lost in transit ends in ``OutcomeUnknown`` and the
/// caller looks for the `displayName` it asked for before it adds again.
public struct GraphClient: Sendable {
    /// Graph's root, `https://graph.microsoft.com` (or a loopback emulator).
    public let endpoint: URL
    private let scope: String
    private let credential: any TokenCredential
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let timeout: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger

    /// Creates a client; `scope` is Graph's `.default` scope of the cloud.
    public init(
        endpoint: URL,
        scope: String,
        credential: any TokenCredential,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(60),
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        logger: Logger
    ) {
        var url = endpoint.absoluteString
        while url.hasSuffix("/") { url.removeLast() }
        self.endpoint = URL(string: url) ?? endpoint
        self.scope = scope
        self.credential = credential
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.logger = logger
    }

    /// Reads the application with its credentials.
    public func application(_ reference: ApplicationReference) async throws -> GraphApplication {
        let path: String
        switch reference {
        case .clientID(let id): path = "/v1.0/applications(appId='\(id)')"
        case .objectID(let id): path = "/v1.0/applications/\(id)"
        }
        let select = "?$select=id,appId,displayName,signInAudience,passwordCredentials,keyCredentials"
        let body = try await send("getApplication", application: reference.description, method: "GET", path: path + select)
        guard let read = try? JSONDecoder().decode(ApplicationBody.self, from: Data(body)), let application = read.application else {
            throw malformed("getApplication", reference.description, "the application's answer is not one Graph gives")
        }
        return application
    }

    /// Adds a password named `displayName` that ends at `end`; its secret is in the answer only.
    public func addPassword(to objectID: String, displayName: String, end: Date) async throws -> AddedPassword {
        let request: [String: [String: String]] = ["passwordCredential": ["displayName": displayName, "endDateTime": GraphDate.format(end)]]
        let body = try await send(
            "addPassword",
            application: "object id \(objectID)",
            method: "POST",
            path: "/v1.0/applications/\(objectID)/addPassword",
            body: Array(try JSONEncoder().encode(request)),
            idempotent: false
        )
        guard let read = try? JSONDecoder().decode(CredentialBody.self, from: Data(body)), let credential = read.credential(.password),
            let secret = read.secretText, !secret.isEmpty
        else {
            throw malformed("addPassword", "object id \(objectID)", "the answer holds no usable password credential")
        }
        return AddedPassword(credential: credential, secret: Secret(secret))
    }

    /// Removes the password `keyID`; `false` when Graph has no such password (a removal whose
    /// answer was lost, or one replication has not shown yet, is done).
    @discardableResult
    public func removePassword(from objectID: String, keyID: String) async throws -> Bool {
        do {
            _ = try await send(
                "removePassword",
                application: "object id \(objectID)",
                method: "POST",
                path: "/v1.0/applications/\(objectID)/removePassword",
                body: Array(try JSONEncoder().encode(["keyId": keyID]))
            )
            return true
        } catch let error as GraphError where error.isPasswordNotFound {
            return false
        }
    }

    /// Adds the DER certificate `certificate` as a key credential named `displayName`, proved by
    /// `proof` (signed by a certificate of the application valid now).
    public func addKey(to objectID: String, certificate: [UInt8], displayName: String, proof: Secret) async throws -> ApplicationCredential {
        let request = AddKeyBody(
            keyCredential: .init(type: "AsymmetricX509Cert", usage: "Verify", key: Data(certificate).base64EncodedString(), displayName: displayName),
            proof: proof.exposedValue
        )
        let body = try await send(
            "addKey",
            application: "object id \(objectID)",
            method: "POST",
            path: "/v1.0/applications/\(objectID)/addKey",
            body: Array(try JSONEncoder().encode(request)),
            idempotent: false
        )
        guard let read = try? JSONDecoder().decode(CredentialBody.self, from: Data(body)), let credential = read.credential(.certificate) else {
            throw malformed("addKey", "object id \(objectID)", "the answer holds no usable key credential")
        }
        return credential
    }

    /// Removes the key credential `keyID`, proved by `proof`; `false` when Graph has no such key.
    @discardableResult
    public func removeKey(from objectID: String, keyID: String, proof: Secret) async throws -> Bool {
        do {
            _ = try await send(
                "removeKey",
                application: "object id \(objectID)",
                method: "POST",
                path: "/v1.0/applications/\(objectID)/removeKey",
                body: Array(try JSONEncoder().encode(["keyId": keyID, "proof": proof.exposedValue]))
            )
            return true
        } catch let error as GraphError where error.status == 400 && error.message.contains("No key credential found") {
            return false
        }
    }

    private func send(_ operation: String, application: String, method: String, path: String, body: [UInt8] = [], idempotent: Bool = true)
        async throws -> [UInt8]
    {
        guard let url = URL(string: endpoint.absoluteString + path.replacing("'", with: "%27")) else {
            throw GraphError(
                operation: operation,
                application: application,
                status: 0,
                code: "InvalidURL",
                message: "the URL is not valid",
                requestID: nil
            )
        }
        let clientRequestID = UUID().uuidString.lowercased()
        var log = logger
        log[metadataKey: "graph_operation"] = .string(operation)
        log[metadataKey: "graph_client_request_id"] = .string(clientRequestID)
        let logger = log
        let (transport, timeout) = (self.transport, self.timeout)
        let hooks = AuthenticatedRequestLoop.Hooks(
            send: { request in try await transport.send(request, timeout: timeout) },
            refreshHeals: { response in response.status == 401 },
            retrying: { reason, delay, _ in
                switch reason {
                case .transport(let error):
                    logger.notice(
                        "Graph request failed, retrying",
                        metadata: .fields([.error: "\(error)", .retryInMilliseconds: "\(delay.milliseconds)"])
                    )
                case .status(let response), .unusableAnswer(let response):
                    logger.notice(
                        response.status == 429 ? "Graph throttled the request; waiting as asked" : "Graph answered with a retryable error; retrying",
                        metadata: .fields([.httpStatus: "\(response.status)", .retryInMilliseconds: "\(delay.milliseconds)"])
                    )
                }
            }
        )
        var headers = [("Accept", "application/json"), ("client-request-id", clientRequestID), ("User-Agent", "keyrotd/" + KeyrotdVersion.current)]
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        let answer = try await AuthenticatedRequestLoop(credential: credential, retry: retry, sleep: sleep).send(
            .init(operation: operation, method: method, url: url, headers: headers, body: body, idempotent: idempotent),
            scope: .fixed(scope),
            hooks: hooks
        )
        guard (200...299).contains(answer.response.status) else {
            throw GraphError(operation, application: application, response: answer.response)
        }
        return answer.response.body
    }

    private func malformed(_ operation: String, _ application: String, _ message: String) -> GraphError {
        GraphError(operation: operation, application: application, status: 200, code: "MalformedResponse", message: message, requestID: nil)
    }
}

/// `GET /applications/{id}`'s body.
private struct ApplicationBody: Decodable {
    var id: String?
    var appId: String?
    var displayName: String?
    var signInAudience: String?
    var passwordCredentials: [CredentialBody]?
    var keyCredentials: [CredentialBody]?

    var application: GraphApplication? {
        guard let id, let appId else { return nil }
        let passwords = (passwordCredentials ?? []).compactMap { $0.credential(.password) }
        let keys = (keyCredentials ?? []).compactMap { $0.credential(.certificate) }
        return GraphApplication(
            objectID: id,
            clientID: appId,
            displayName: displayName ?? "",
            signInAudience: signInAudience ?? "AzureADMyOrg",
            credentials: passwords + keys
        )
    }
}

/// `addKey`'s body.
private struct AddKeyBody: Encodable {
    struct KeyCredential: Encodable {
        var type: String
        var usage: String
        var key: String
        var displayName: String
    }

    var keyCredential: KeyCredential
    var passwordCredential: String? = nil
    var proof: String

    enum CodingKeys: String, CodingKey { case keyCredential, passwordCredential, proof }

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(keyCredential, forKey: .keyCredential)
        try container.encodeNil(forKey: .passwordCredential)
        try container.encode(proof, forKey: .proof)
    }
}

/// A `passwordCredential` or `keyCredential`.
private struct CredentialBody: Decodable {
    var keyId: String?
    var displayName: String?
    var customKeyIdentifier: String?
    var startDateTime: String?
    var endDateTime: String?
    var secretText: String?

    func credential(_ kind: ApplicationCredential.Kind) -> ApplicationCredential? {
        guard let keyId, let end = endDateTime.flatMap(GraphDate.parse) else { return nil }
        return ApplicationCredential(
            kind: kind,
            keyID: keyId,
            displayName: displayName ?? "",
            start: startDateTime.flatMap(GraphDate.parse),
            end: end,
            thumbprint: kind == .certificate ? customKeyIdentifier : nil
        )
    }
}
