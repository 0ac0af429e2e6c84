import FoundationEssentials
import KeyRotation
import Logging

/// Sends requests to ARM as one credential: each authenticated (``ARMClient+Authentication``), paced
/// within ARM's budgets (``ARMClient+Budget``) and retried here, in ``send(_:method:id:target:body:acceptsEmptyBody:)``.
/// What the answers mean lives beside it: the keys of every type (``ARMClient+Keys``), long-running
/// operations (``ARMClient+LongRunning``).
///
/// Every request carries a fresh `x-ms-client-request-id`; answers' `x-ms-request-id`s go to the
/// log. Retryable failures (408, 429, 5xx, connection errors, unreadable bodies) are retried with
/// exponential backoff and full jitter, honouring `Retry-After`.
///
/// A class, though immutable: one client per credential is shared by the providers of all its
/// resources, and a reference is cheaper to hold ten thousand times than a copy.
public final class ARMClient: Sendable {
    /// ARM's endpoint; answers' operation URLs must point here before a token is sent to them.
    let endpoint: URL
    /// The OAuth scope of the tokens ARM accepts.
    let scope: String
    /// Where the tokens come from (cached, single-flight, one entry per scope): the resource's Key
    /// Vault outputs take their vault tokens from it too.
    public let credential: any TokenCredential
    /// The HTTP client.
    let transport: any HTTPTransport
    private let retry: RetryPolicy
    /// How the client waits (injected so tests do not).
    let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger
    /// How long one request may take.
    let timeout: Duration
    /// ARM's request budgets, shared by every client of the daemon; `nil` paces nothing.
    let budgets: ARMBudgets?
    /// Whose ARM budget the requests draw on (the credential's name).
    let principal: String
    /// Where every request and ARM's answer are counted; `nil` counts nothing.
    let tally: ARMTally?

    /// Creates a client; `budgets` (shared by every client of the daemon) paces its requests within
    /// the buckets ARM keeps for `principal`, and `tally` (shared as well) counts them.
    public init(
        endpoint: URL,
        scope: String,
        credential: any TokenCredential,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(60),
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        budgets: ARMBudgets? = nil,
        principal: String = "default",
        tally: ARMTally? = nil,
        logger: Logger
    ) {
        self.budgets = budgets
        self.tally = tally
        self.principal = principal
        self.endpoint = endpoint
        self.scope = scope
        self.credential = credential
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.logger = logger
    }

    /// A successful answer's body with the identifiers the errors and logs need.
    struct ReceivedBody {
        /// The HTTP status: 200, or 201/202/204 for long-running operations.
        var status: Int = 200
        /// The body (never quoted in an error: it may hold keys).
        var bytes: [UInt8]
        /// ARM's `x-ms-request-id`.
        var requestID: String?
        /// The `x-ms-client-request-id` keyrotd sent.
        var clientRequestID: String
        /// Attempts made, retries included.
        var attempts: Int
        /// The `Azure-AsyncOperation`, `Location` and `Retry-After` headers of a long-running answer.
        var asyncOperation: String? = nil
        var location: String? = nil
        var retryAfter: String? = nil
    }

    /// Sends one request to `target` (a path and query on ARM's endpoint, or an absolute URL on it)
    /// for resource `id` until ARM answers 2xx, a final error, or the retries run out.
    ///
    /// - Parameter acceptsEmptyBody: a 200 without a body is an answer (Cosmos DB's regeneration);
    ///   otherwise it is taken for a lost answer and retried.
    func send(_ operation: String, method: String, id: ResourceID, target: String, body: [UInt8], acceptsEmptyBody: Bool = false) async throws
        -> ReceivedBody
    {
        let clientRequestID = UUID().uuidString.lowercased()
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        guard let target = URL(string: target.hasPrefix("/") ? base + target : target) else {
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: 0,
                code: "InvalidURL",
                message: "the request URL is not valid",
                requestID: nil,
                clientRequestID: clientRequestID,
                attempts: 0
            )
        }
        let key = ARMBudgets.Key(subscription: id.subscription, principal: principal, kind: method == "GET" ? .read : .write)
        var log = logger
        log[field: .resource] = .string(id.name)
        log[metadataKey: "arm_operation"] = .string(operation)
        log[metadataKey: "arm_client_request_id"] = .string(clientRequestID)
        let logger = log
        let tally = self.tally
        let hooks = AuthenticatedRequestLoop.Hooks(
            send: { request in try await self.sendPaced(request, key) },
            answered: { status in await tally?.record(operation, status: status) },
            // A body that does not decode is retried like a lost answer; the step repeats safely.
            // Only long-running answers (and a 200 the caller expects empty) may have none.
            usable: { response in
                (response.body.isEmpty && (response.status != 200 || acceptsEmptyBody)) || Self.isJSON(response.body)
            },
            refreshHeals: { response in ARMError.code(of: response) == "ExpiredAuthenticationToken" },
            retrying: { reason, delay, attempt in
                var log = logger
                switch reason {
                case .transport(let error):
                    log.notice(
                        "ARM request failed, retrying",
                        metadata: .fields([.error: "\(error)", .retryInMilliseconds: "\(delay.milliseconds)", .attempt: "\(attempt)"])
                    )
                case .unusableAnswer(let response):
                    log[metadataKey: "arm_request_id"] = response.header("x-ms-request-id").map { .string($0) }
                    log.warning("ARM answered with an unreadable body, retrying", metadata: .fields([.retryInMilliseconds: "\(delay.milliseconds)"]))
                case .status(let response):
                    log[metadataKey: "arm_request_id"] = response.header("x-ms-request-id").map { .string($0) }
                    let throttled = response.status == 429
                    log.log(
                        throttled ? .throttled : .armRetry,
                        throttled ? "ARM throttled the request; waiting as asked" : "ARM answered with a retryable error; retrying",
                        [
                            .httpStatus: "\(response.status)", .armErrorCode: .string(ARMError.code(of: response)),
                            .retryInMilliseconds: "\(delay.milliseconds)", .attempt: "\(attempt)",
                        ]
                    )
                }
            },
            renewing: { renewal in
                switch renewal {
                case .claims: logger.notice("ARM asked for a token with new claims (continuous access evaluation); requesting one")
                case .refresh: logger.notice("ARM token expired; refreshing once")
                }
            }
        )
        let headers = [
            ("Accept", "application/json"), ("x-ms-client-request-id", clientRequestID), ("x-ms-return-client-request-id", "true"),
            ("User-Agent", "keyrotd/" + KeyrotdVersion.current),
        ]
        // Every ARM call keyrotd makes may be repeated: reads, and the regeneration of a key no
        // consumer uses (the invariant makes a second one harmless).
        let answer = try await AuthenticatedRequestLoop(credential: credential, retry: retry, sleep: sleep).send(
            .init(operation: operation, method: method, url: target, headers: headers, body: body, idempotent: true),
            scope: .fixed(scope),
            hooks: hooks
        )
        let response = answer.response
        let requestID = response.header("x-ms-request-id")
        guard (200...299).contains(response.status) else {
            throw ARMError(operation, resource: id.name, response: response, clientRequestID: clientRequestID, attempts: answer.attempts)
        }
        log[metadataKey: "arm_request_id"] = requestID.map { .string($0) }
        log.debug("ARM request succeeded", metadata: .fields([.httpStatus: "\(response.status)"]))
        return ReceivedBody(
            status: response.status,
            bytes: response.body,
            requestID: requestID,
            clientRequestID: clientRequestID,
            attempts: answer.attempts,
            asyncOperation: response.header("Azure-AsyncOperation"),
            location: response.header("Location"),
            retryAfter: response.header("Retry-After")
        )
    }

    /// Whether `body` is a JSON object.
    static func isJSON(_ body: [UInt8]) -> Bool {
        ARMJSON(parsing: body)?.isObject == true
    }
}
