import FoundationEssentials
import KeyRotation

/// The one loop every Azure client sends a request through, until the service answers 2xx, a
/// final error, or the retries run out: a bearer token for the request's scope (a fixed one, or the
/// one the service's first challenge names), a continuous access evaluation challenge answered with
/// a token carrying its claims and a token refresh, each once per request, transport failures and
/// retryable statuses (408, 429, 5xx) retried with backoff honouring `Retry-After`. What differs
/// between services plugs in as ``Hooks``: the sending of one attempt (pacing within a budget),
/// the tally of answers, what makes a 2xx answer usable, which 401 a refresh heals, and the log lines.
///
/// Only a request its caller marks idempotent is sent again after an answer that may have been
/// lost (a connection reset, a timeout, 408 or 5xx): sending one that is not again could do its
/// work twice (Graph's `addPassword` would mint a second secret, a conditional blob write comes
/// back 412), so it ends in ``OutcomeUnknown`` for its caller to find out what happened. A 429
/// means the service did nothing, so every request waits it out.
struct AuthenticatedRequestLoop: Sendable {
    /// One request.
    struct Request: Sendable {
        /// What the caller calls it (`regenerateKey`, `setSecret`), for errors.
        var operation: String
        /// The HTTP method.
        var method: String
        /// Where it goes.
        var url: URL
        /// Its headers but `Authorization` and `Content-Type`, which the loop adds.
        var headers: [(String, String)]
        /// Its JSON body, if any.
        var body: [UInt8] = []
        /// Whether sending it twice does no more than sending it once: reads, and writes whose
        /// repetition is harmless (a regeneration of a key no consumer uses).
        var idempotent: Bool
    }

    /// Where a request's token scope comes from.
    enum Scope: Sendable {
        /// Known beforehand (ARM's, Graph's).
        case fixed(String)
        /// Named by the service's first `401` (Key Vault): until then the request goes without a
        /// token and without its body.
        case challenged(ChallengedScope)
    }

    /// Why the loop waits before the next attempt.
    enum RetryReason: Sendable {
        /// No answer.
        case transport(TransportError)
        /// A retryable status (408, 429, 5xx).
        case status(HTTPResponseData)
        /// A 2xx answer the caller cannot use (a body that does not decode), taken for a lost one.
        case unusableAnswer(HTTPResponseData)
    }

    /// How the loop renews a request's token.
    enum Renewal: Sendable {
        /// A continuous access evaluation challenge: a token with the claims it asks for.
        case claims
        /// A token the service no longer takes (expired, revoked): a fresh one.
        case refresh
    }

    /// What a client plugs into the loop.
    struct Hooks: Sendable {
        /// Sends one attempt: the transport, paced within a budget where the service has one.
        var send: @Sendable (HTTPRequestData) async throws -> HTTPResponseData
        /// Hears each attempt's status (`nil`: no answer), for a tally.
        var answered: @Sendable (Int?) async -> Void = { _ in }
        /// Whether a 2xx answer can be used; one that cannot is retried like a lost answer (the
        /// last attempt's is returned as it is).
        var usable: @Sendable (HTTPResponseData) -> Bool = { _ in true }
        /// Whether a `401` that is no claims challenge heals with a fresh token.
        var refreshHeals: @Sendable (HTTPResponseData) -> Bool
        /// Hears that the loop waits `delay` before attempt `attempt + 1`, and why.
        var retrying: @Sendable (_ reason: RetryReason, _ delay: Duration, _ attempt: Int) -> Void
        /// Hears that the loop renews the token.
        var renewing: @Sendable (Renewal) -> Void = { _ in }
    }

    /// The final answer: 2xx, or an error status for the caller to describe.
    struct Answer: Sendable {
        /// The service's answer.
        var response: HTTPResponseData
        /// Attempts made, retries included.
        var attempts: Int
    }

    /// Where the tokens come from.
    let credential: any TokenCredential
    /// When to try again.
    let retry: RetryPolicy
    /// How the loop waits (the daemon's timer; a test's script).
    let sleep: @Sendable (Duration) async throws -> Void

    /// Sends `request` until it is answered for good.
    ///
    /// - Returns: a 2xx answer, or the first answer that retrying cannot change.
    /// - Throws: ``TransportError`` when no attempt was answered, ``OutcomeUnknown`` when a request
    ///   that is not idempotent may have been carried out without its answer arriving, the
    ///   ``ChallengedScope``'s error when the service asks for a token it may not have, and the
    ///   credential's errors.
    func send(_ request: Request, scope: Scope, hooks: Hooks) async throws -> Answer {
        var attempt = 0
        var renewed = false
        var claims: String?
        while true {
            attempt += 1
            var headers = request.headers
            var body: [UInt8] = []
            if let scope = scope.current {
                let token: AccessToken
                if let demanded = claims {
                    token = try await credential.token(scope: scope, claims: demanded)
                    claims = nil
                } else {
                    token = try await credential.token(scope: scope)
                }
                headers.insert(("Authorization", "Bearer " + token.token.exposedValue), at: 0)
                body = request.body
                if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
            }
            let response: HTTPResponseData
            do {
                response = try await hooks.send(HTTPRequestData(method: request.method, url: request.url, headers: headers, body: body))
            } catch let error as TransportError {
                await hooks.answered(nil)
                guard let delay = retry.delay(after: error, attempt: attempt) else { throw error }
                guard request.idempotent else { throw OutcomeUnknown(operation: request.operation, url: request.url, cause: "\(error)") }
                hooks.retrying(.transport(error), delay, attempt)
                try await sleep(delay)
                continue
            }
            await hooks.answered(response.status)
            if (200...299).contains(response.status) {
                if hooks.usable(response) || !request.idempotent || attempt >= retry.maxAttempts {
                    return Answer(response: response, attempts: attempt)
                }
                let delay = retry.backoff(afterAttempt: attempt, fraction: Double.random(in: 0..<1))
                hooks.retrying(.unusableAnswer(response), delay, attempt)
                try await sleep(delay)
                continue
            }
            if response.status == 401 {
                if case .challenged(let challenged) = scope, challenged.value == nil {
                    try challenged.learn(from: response)
                    attempt -= 1
                    continue
                }
                if !renewed, let demanded = Self.claims(response) {
                    renewed = true
                    claims = demanded
                    hooks.renewing(.claims)
                    continue
                }
                if !renewed, hooks.refreshHeals(response) {
                    renewed = true
                    await credential.invalidate()
                    hooks.renewing(.refresh)
                    continue
                }
            }
            if let delay = retry.delay(after: response, attempt: attempt) {
                guard request.idempotent || response.status == 429 else {
                    throw OutcomeUnknown(operation: request.operation, url: request.url, cause: "HTTP \(response.status)")
                }
                hooks.retrying(.status(response), delay, attempt)
                try await sleep(delay)
                continue
            }
            return Answer(response: response, attempts: attempt)
        }
    }

    /// The claims of a continuous access evaluation challenge (`WWW-Authenticate: Bearer …,
    /// error="insufficient_claims", claims="<base64 JSON>"`), decoded, or `nil` when the `401` is
    /// no such challenge.
    static func claims(_ response: HTTPResponseData) -> String? {
        guard let claims = BearerChallenge(response.header("WWW-Authenticate"))?.claims,
            ARMJSON(parsing: Array(claims.utf8))?.isObject == true
        else { return nil }
        return claims
    }
}

extension AuthenticatedRequestLoop.Scope {
    /// The scope to ask a token for, or `nil` while a challenged scope is unknown.
    var current: String? {
        switch self {
        case .fixed(let scope): scope
        case .challenged(let challenged): challenged.value
        }
    }
}
