import DaemonExecutor
import FoundationEssentials
import KeyRotation
import Logging

/// Calls ARM for `Microsoft.Communication/communicationServices`: `get`, `listKeys`, `regenerateKey`.
///
/// Every request carries a fresh `x-ms-client-request-id`; answers' `x-ms-request-id`s go to the
/// log. Retryable failures (408, 429, 5xx, connection errors, unreadable bodies) are retried with
/// exponential backoff and full jitter, honouring `Retry-After`. A 401 `ExpiredAuthenticationToken`
/// gets one token refresh. Every request waits for a token of its ``ARMBudgets`` bucket first:
/// writes (`listKeys`, `regenerateKey`) and reads (`get`) of its subscription and principal.
///
/// A class, though immutable: one client per credential is shared by the providers of all its
/// resources, and a reference is cheaper to hold ten thousand times than a copy.
public final class ARMClient: Sendable {
    private let endpoint: URL
    private let scope: String
    private let credential: any TokenCredential
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let sleep: @Sendable (Duration) async throws -> Void
    private let logger: Logger
    private let timeout: Duration
    private let budgets: ARMBudgets?
    /// Whose ARM budget the requests draw on (the credential's name).
    private let principal: String

    /// Creates a client; `budgets` (shared by every client of the daemon) paces its requests within
    /// the buckets ARM keeps for `principal`.
    public init(
        endpoint: URL,
        scope: String,
        credential: any TokenCredential,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(60),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await DaemonExecutor.sleep(for: $0) },
        budgets: ARMBudgets? = nil,
        principal: String = "default",
        logger: Logger
    ) {
        self.budgets = budgets
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

    /// The resource's properties (`provisioningState`, `hostName`, `disableLocalAuth` …).
    public func get(_ id: ResourceID, apiVersion: String) async throws -> CommunicationServiceResource {
        let body = try await call("get", method: "GET", id: id, suffix: "", apiVersion: apiVersion, body: [])
        guard let resource = try? JSONDecoder().decode(CommunicationServiceResource.self, from: Data(body.bytes)) else {
            throw malformed("get", id, body)
        }
        return resource
    }

    /// Both keys and connection strings (a POST: counts against the write budget), each checked
    /// against `rules` before it is returned.
    public func listKeys(_ id: ResourceID, apiVersion: String, rules: KeyValueRules = .communicationServices) async throws -> AccessKeys {
        let body = try await call("listKeys", method: "POST", id: id, suffix: "/listKeys", apiVersion: apiVersion, body: [])
        return try decodeKeys("listKeys", id, body, rules: rules)
    }

    /// Regenerates `slot`; the answer may hold only the regenerated half, and what it holds is
    /// checked against `rules`.
    public func regenerateKey(
        _ id: ResourceID,
        slot: KeySlot,
        apiVersion: String,
        rules: KeyValueRules = .communicationServices
    ) async throws -> AccessKeys {
        let json = Array("{\"keyType\":\"\(slot.armKeyType)\"}".utf8)
        let body = try await call("regenerateKey", method: "POST", id: id, suffix: "/regenerateKey", apiVersion: apiVersion, body: json)
        return try decodeKeys("regenerateKey", id, body, rules: rules)
    }

    // MARK: - Private

    /// A successful answer's body with the identifiers the errors and logs need.
    struct ReceivedBody {
        var bytes: [UInt8]
        var requestID: String?
        var clientRequestID: String
        var attempts: Int
    }

    private struct KeysBody: Decodable {
        var primaryKey: String?
        var secondaryKey: String?
        var primaryConnectionString: String?
        var secondaryConnectionString: String?
    }

    private struct ErrorBody: Decodable {
        struct Detail: Decodable {
            var code: String?
            var message: String?
        }
        var error: Detail?
    }

    /// The keys of an answer, each value checked against `rules`: nothing unchecked reaches a file.
    private func decodeKeys(_ operation: String, _ id: ResourceID, _ body: ReceivedBody, rules: KeyValueRules) throws -> AccessKeys {
        let decoded: KeysBody
        do {
            decoded = try JSONDecoder().decode(KeysBody.self, from: Data(body.bytes))
        } catch let DecodingError.typeMismatch(_, context) {
            // The coding path names the field, never its value.
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw malformed(operation, id, body, "\(field) is not a string")
        } catch {
            throw malformed(operation, id, body)
        }
        let keys = AccessKeys(
            primaryKey: decoded.primaryKey.map(Secret.init),
            secondaryKey: decoded.secondaryKey.map(Secret.init),
            primaryConnectionString: decoded.primaryConnectionString.map(Secret.init),
            secondaryConnectionString: decoded.secondaryConnectionString.map(Secret.init)
        )
        guard keys.primaryKey != nil || keys.secondaryKey != nil else {
            throw malformed(operation, id, body, "the answer holds neither primaryKey nor secondaryKey")
        }
        do {
            try rules.validate(keys, resourceName: id.name)
        } catch {
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: 200,
                code: "InvalidKeyValue",
                message: "\(error.description); refused, nothing was published",
                requestID: body.requestID,
                clientRequestID: body.clientRequestID,
                attempts: body.attempts
            )
        }
        return keys
    }

    private func malformed(_ operation: String, _ id: ResourceID, _ body: ReceivedBody, _ detail: String? = nil) -> ARMError {
        // Never quote the body: it may hold keys.
        ARMError(
            operation: operation,
            resource: id.name,
            status: 200,
            code: "MalformedResponse",
            message: "the response body (\(body.bytes.count) bytes) is not the expected JSON" + (detail.map { ": \($0)" } ?? ""),
            requestID: body.requestID,
            clientRequestID: body.clientRequestID,
            attempts: body.attempts
        )
    }

    /// Queues for a token of `key`'s bucket; returns whether the request had to wait. Once it
    /// returns, the request is in flight for the budget until `completed` is called.
    private func waitForSlot(_ budgets: ARMBudgets, _ key: ARMBudgets.Key) async throws -> Bool {
        let ticket = await budgets.enter(key)
        var waited = false
        while let wait = await budgets.release(ticket, key) {
            waited = true
            do {
                try await sleep(wait)
            } catch {
                await budgets.abandon(ticket, key)
                throw error
            }
        }
        return waited
    }

    private func url(_ id: ResourceID, suffix: String, apiVersion: String) -> URL {
        var base = endpoint.absoluteString
        while base.hasSuffix("/") { base.removeLast() }
        return URL(string: base + id.path + suffix + "?api-version=" + apiVersion)!
    }

    private func call(
        _ operation: String,
        method: String,
        id: ResourceID,
        suffix: String,
        apiVersion: String,
        body: [UInt8]
    ) async throws -> ReceivedBody {
        let clientRequestID = UUID().uuidString.lowercased()
        let target = url(id, suffix: suffix, apiVersion: apiVersion)
        var attempt = 0
        var refreshedToken = false
        var challengeClaims: String?
        var log = logger
        log[metadataKey: "keyrotd_resource"] = .string(id.name)
        log[metadataKey: "arm_operation"] = .string(operation)
        log[metadataKey: "arm_client_request_id"] = .string(clientRequestID)
        while true {
            attempt += 1
            let token: AccessToken
            if let claims = challengeClaims {
                token = try await credential.token(scope: scope, claims: claims)
                challengeClaims = nil
            } else {
                token = try await credential.token(scope: scope)
            }
            var headers = [
                ("Authorization", "Bearer " + token.token.exposedValue), ("Accept", "application/json"),
                ("x-ms-client-request-id", clientRequestID), ("x-ms-return-client-request-id", "true"),
                ("User-Agent", "keyrotd/0.1"),
            ]
            if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
            // The budget token is taken as late as possible: ARM counts a request when it arrives, so
            // time spent between taking and sending (a token request, say) would let requests bunch up.
            let key = ARMBudgets.Key(subscription: id.subscription, principal: principal, kind: method == "GET" ? .read : .write)
            if let budgets, try await waitForSlot(budgets, key) {
                // After a long wait the cached token may be due for refresh.
                do {
                    headers[0].1 = "Bearer " + (try await credential.token(scope: scope)).token.exposedValue
                } catch {
                    await budgets.completed(key, response: nil)
                    throw error
                }
            }
            let request = HTTPRequestData(method: method, url: target, headers: headers, body: body)
            let response: HTTPResponseData
            do {
                response = try await transport.send(request, timeout: timeout)
                await budgets?.completed(key, response: response)
            } catch {
                await budgets?.completed(key, response: nil)
                guard let error = error as? TransportError, let delay = retry.delay(after: error, attempt: attempt) else { throw error }
                log.notice(
                    "ARM request failed, retrying",
                    metadata: ["error": "\(error)", "keyrotd_retry_in_ms": "\(delay.milliseconds)", "attempt": "\(attempt)"]
                )
                try await sleep(delay)
                continue
            }
            let requestID = response.header("x-ms-request-id")
            if let requestID { log[metadataKey: "arm_request_id"] = .string(requestID) }
            if (200...299).contains(response.status) {
                if response.status == 200 || method == "GET" {
                    // A 200 whose body does not decode is retried like a lost answer; the step repeats safely.
                    if Self.isJSON(response.body) || attempt >= retry.maxAttempts {
                        log.debug("ARM request succeeded", metadata: ["http_status": "\(response.status)"])
                        return ReceivedBody(bytes: response.body, requestID: requestID, clientRequestID: clientRequestID, attempts: attempt)
                    }
                    let delay = retry.backoff(afterAttempt: attempt, fraction: Double.random(in: 0..<1))
                    log.warning("ARM answered with an unreadable body, retrying", metadata: ["keyrotd_retry_in_ms": "\(delay.milliseconds)"])
                    try await sleep(delay)
                    continue
                }
                // 201/202: an asynchronous operation (older api-versions). The keys come from listKeys.
                throw ARMError(
                    operation: operation,
                    resource: id.name,
                    status: response.status,
                    code: "AsyncOperationUnsupported",
                    message: "ARM started an asynchronous operation; use api_version 2026-03-18, which answers synchronously",
                    requestID: requestID,
                    clientRequestID: clientRequestID,
                    attempts: attempt
                )
            }
            let error = decodeError(operation, id, response, requestID: requestID, clientRequestID: clientRequestID, attempts: attempt)
            if response.status == 401, !refreshedToken, let claims = Self.insufficientClaims(response) {
                // Continuous access evaluation revoked the token: ask for one carrying the claims, once.
                refreshedToken = true
                challengeClaims = claims
                log.notice("ARM asked for a token with new claims (continuous access evaluation); requesting one")
                attempt -= 1
                continue
            }
            if response.status == 401, error.code == "ExpiredAuthenticationToken", !refreshedToken {
                refreshedToken = true
                await credential.invalidate()
                log.notice("ARM token expired; refreshing once")
                attempt -= 1
                continue
            }
            if let delay = retry.delay(after: response, attempt: attempt) {
                log.notice(
                    response.status == 429 ? "ARM throttled the request; waiting as asked" : "ARM answered with a retryable error; retrying",
                    metadata: [
                        "http_status": "\(response.status)", "arm_error_code": .string(error.code), "keyrotd_retry_in_ms": "\(delay.milliseconds)",
                        "attempt": "\(attempt)", "keyrotd_event": .string(response.status == 429 ? "throttled" : "arm-retry"),
                    ]
                )
                try await sleep(delay)
                continue
            }
            throw error
        }
    }

    private func decodeError(
        _ operation: String,
        _ id: ResourceID,
        _ response: HTTPResponseData,
        requestID: String?,
        clientRequestID: String,
        attempts: Int
    ) -> ARMError {
        let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body))
        let message = (body?.error?.message ?? "").split(separator: "\n").first.map(String.init) ?? ""
        return ARMError(
            operation: operation,
            resource: id.name,
            status: response.status,
            code: body?.error?.code ?? (response.status == 429 ? "TooManyRequests" : "HTTP\(response.status)"),
            message: String(message.prefix(400)),
            requestID: requestID,
            clientRequestID: clientRequestID,
            attempts: attempts
        )
    }

    /// The claims of a CAE challenge (`WWW-Authenticate: Bearer …, error="insufficient_claims",
    /// claims="<base64 JSON>"`), decoded, or `nil` when the 401 is no such challenge.
    static func insufficientClaims(_ response: HTTPResponseData) -> String? {
        guard let challenge = response.header("WWW-Authenticate"), challenge.contains("insufficient_claims"),
            let start = challenge.firstRange(of: "claims=\"")
        else { return nil }
        let encoded = challenge[start.upperBound...].prefix { $0 != "\"" }
        guard let bytes = Base64URL.decode(encoded), let json = String(bytes: bytes, encoding: .utf8),
            isJSON(bytes)
        else { return nil }
        return json
    }

    /// Whether `body` is a JSON object.
    private static func isJSON(_ body: [UInt8]) -> Bool {
        (try? JSONDecoder().decode(JSONObjectShape.self, from: Data(body))) != nil
    }
}

/// Decodes only when the document is a JSON object (the decoder checks the whole document first).
private struct JSONObjectShape: Decodable {
    private struct AnyKey: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        _ = try decoder.container(keyedBy: AnyKey.self)
    }
}
