import FoundationEssentials
import KeyRotation
import Logging

/// Key Vault's secrets API for one vault, as one credential (api-version 7.6).
///
/// Authentication as Key Vault expects: the first request goes without a token (and without its
/// body); the `401`'s `WWW-Authenticate` names the scope (`resource` + `/.default`), which must be a
/// Key Vault audience, so a wrong or hostile vault URL never receives a token. Tokens for that scope
/// come from the credential's cache; a continuous access evaluation challenge is answered once per
/// request, an expired token refreshed once. Secret creations are paced within the vault's budget
/// (300 per 10 s) when `budgets` is given; 408, 429 and 5xx are retried, honouring `Retry-After`.
public actor KeyVaultClient {
    /// The vault, `https://NAME.vault.azure.net` (or a loopback emulator's vault URL).
    public nonisolated let vaultURL: URL
    private let credential: any TokenCredential
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let timeout: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let budgets: ARMBudgets?
    private let logger: Logger
    /// The scope the vault's first challenge names, once it named a Key Vault audience.
    private let scope: ChallengedScope

    /// The api-version of every request.
    public static let apiVersion = "7.6"
    /// The audiences Key Vault's challenges name: the vault host suffix of each cloud keyrotd knows.
    public static let audienceHosts = AzureCloud.allCases.map { String($0.keyVaultHostSuffix.dropFirst()) }
    /// Key Vault's secret-creation budget per vault (the other transactions' is 4,000 per 10 s).
    public static let writeLimits = ARMBudgets.Limits(burst: 300, perSecond: 30)

    /// Creates the client; `budgets` (shared by every client of the daemon, made with
    /// ``writeLimits``) paces secret creations per vault.
    public init(
        vaultURL: URL,
        credential: any TokenCredential,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(60),
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        budgets: ARMBudgets? = nil,
        logger: Logger
    ) {
        var url = vaultURL.absoluteString
        while url.hasSuffix("/") { url.removeLast() }
        self.vaultURL = URL(string: url) ?? vaultURL
        self.credential = credential
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.budgets = budgets
        self.logger = logger
        let vault = self.vaultURL.absoluteString
        self.scope = ChallengedScope { response in
            let error = KeyVaultError("challenge", vault: vault, secret: "", response: response)
            return try Self.vaultScope(BearerChallenge(response.header("WWW-Authenticate")), error)
        }
    }

    /// Sends one request (`path` below the vault, query without the api-version) until Key Vault
    /// answers 2xx, a final error, or the retries run out; returns the answer's body.
    func send(_ operation: String, secret: String, method: String, path: String, query: String = "", body: [UInt8] = []) async throws -> [UInt8] {
        try await send(
            operation,
            secret: secret,
            method: method,
            url: vaultURL.absoluteString + path + "?api-version=\(Self.apiVersion)" + query,
            body: body
        )
    }

    /// Sends one request to `url`, which must be on the vault (a `nextLink`).
    func send(_ operation: String, secret: String, method: String, url: String, body: [UInt8] = []) async throws -> [UInt8] {
        guard let target = URL(string: url), target.scheme == vaultURL.scheme, target.host == vaultURL.host, target.port == vaultURL.port else {
            throw KeyVaultError(
                operation: operation,
                vault: vaultURL.absoluteString,
                secret: secret,
                status: 0,
                code: "MalformedResponse",
                message: "the next page is not on the vault",
                requestID: nil
            )
        }
        var log = logger
        log[field: .vault] = .string(vaultURL.absoluteString)
        log[field: .secret] = .string(secret)
        log[metadataKey: "keyvault_operation"] = .string(operation)
        let logger = log
        let hooks = AuthenticatedRequestLoop.Hooks(
            send: { request in try await self.paced(request, creates: method == "PUT") },
            // An expired or revoked token: once more with a fresh one.
            refreshHeals: { _ in true },
            retrying: { reason, delay, _ in
                switch reason {
                case .transport(let error):
                    logger.notice(
                        "Key Vault request failed, retrying",
                        metadata: .fields([.error: "\(error)", .retryInMilliseconds: "\(delay.milliseconds)"])
                    )
                case .status(let response), .unusableAnswer(let response):
                    let error = KeyVaultError(operation, vault: self.vaultURL.absoluteString, secret: secret, response: response)
                    logger.notice(
                        response.status == 429
                            ? "Key Vault throttled the request; waiting as asked" : "Key Vault answered with a retryable error; retrying",
                        metadata: .fields([
                            .httpStatus: "\(response.status)", .keyVaultErrorCode: .string(error.code),
                            .retryInMilliseconds: "\(delay.milliseconds)",
                        ])
                    )
                }
            },
            renewing: { renewal in
                if case .claims = renewal {
                    logger.notice("Key Vault asked for a token with new claims (continuous access evaluation); requesting one")
                }
            }
        )
        // A new version is not written twice blindly: after a lost answer the publisher reads the
        // latest version before it writes again.
        let answer: AuthenticatedRequestLoop.Answer
        do {
            answer = try await AuthenticatedRequestLoop(credential: credential, retry: retry, sleep: sleep).send(
                .init(
                    operation: operation,
                    method: method,
                    url: target,
                    headers: [("Accept", "application/json"), ("User-Agent", "keyrotd/" + KeyrotdVersion.current)],
                    body: body,
                    idempotent: method != "PUT"
                ),
                scope: .challenged(scope),
                hooks: hooks
            )
        } catch var refused as KeyVaultError {
            // The vault's challenge is checked once per client; the error names this request.
            refused.operation = operation
            refused.secret = secret
            throw refused
        }
        guard (200...299).contains(answer.response.status) else {
            throw KeyVaultError(operation, vault: vaultURL.absoluteString, secret: secret, response: answer.response)
        }
        return answer.response.body
    }

    /// The scope a challenge asks for, if it is a Key Vault audience.
    static func vaultScope(_ challenge: BearerChallenge?, _ error: KeyVaultError) throws -> String {
        guard let scope = challenge?.scope, let host = URL(string: scope)?.host?.lowercased(), audienceHosts.contains(host) else {
            var refused = error
            refused.code = "UnexpectedChallenge"
            refused.message = "the answer asks for a token that is not a Key Vault token (\(challenge?.scope ?? "no scope"))"
            throw refused
        }
        return scope
    }

    /// Sends `request`, a secret creation once it holds a token of the vault's budget.
    private func paced(_ request: HTTPRequestData, creates: Bool) async throws -> HTTPResponseData {
        guard creates, request.headers.contains(where: { $0.0 == "Authorization" }), let budgets else {
            return try await transport.send(request, timeout: timeout)
        }
        let key = ARMBudgets.Key(subscription: vaultURL.host ?? "", principal: "keyvault", kind: .write)
        try await budgets.waitForSlot(key, sleep: sleep)
        let (transport, timeout) = (self.transport, self.timeout)
        return try await budgets.complete(key) { try await transport.send(request, timeout: timeout) }
    }
}
