import FoundationEssentials
import KeyRotation

/// Long-running operations: a regeneration ARM answers with `202` and a URL to poll (SignalR, Web
/// PubSub, Event Grid, Cosmos DB). Polls are `GET`s, paced as reads; `Retry-After` is honoured.
extension ARMClient {
    /// How a followed operation ended.
    public enum OperationResult: Sendable, Equatable {
        /// It succeeded.
        case completed
        /// ARM no longer knows it (404/410: expired or never there).
        case lost
        /// It failed or was cancelled, for the reason given.
        case failed(String)
    }

    /// The longest a regeneration is followed in one go; after it the step fails and is retried,
    /// and the retry follows the same journaled operation.
    static let operationDeadline = Duration.seconds(15 * 60)

    /// The operation a `201`/`202` answer started, checked to be on ARM's own host: keyrotd sends
    /// its token to that URL and to nowhere else.
    func pendingOperation(from body: ReceivedBody, slot: KeySlot, id: ResourceID, operation: String) throws -> LongRunningOperation {
        guard let url = body.asyncOperation ?? body.location else {
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: body.status,
                code: "MissingOperationURL",
                message: "ARM accepted the regeneration without Azure-AsyncOperation or Location to follow; it is asked for again",
                requestID: body.requestID,
                clientRequestID: body.clientRequestID,
                attempts: body.attempts
            )
        }
        try checkOnARM(url, operation, id, body)
        return LongRunningOperation(slot: slot, url: url, isAsyncOperation: body.asyncOperation != nil, acceptedAt: Date())
    }

    /// Refuses a URL from an answer that is not on ARM's endpoint (scheme, host and port).
    func checkOnARM(_ url: String, _ operation: String, _ id: ResourceID, _ body: ReceivedBody) throws {
        guard let parsed = URL(string: url), parsed.scheme?.lowercased() == endpoint.scheme?.lowercased(),
            parsed.host?.lowercased() == endpoint.host?.lowercased(), parsed.port == endpoint.port
        else {
            throw ARMError(
                operation: operation,
                resource: id.name,
                status: body.status,
                code: "ForeignOperationURL",
                message: "ARM's answer points to a URL on another host than \(endpoint.host ?? "ARM"); no token is sent there",
                requestID: body.requestID,
                clientRequestID: body.clientRequestID,
                attempts: body.attempts
            )
        }
    }

    /// Polls `operation` until it ends, ARM forgets it, or ``operationDeadline`` passes (then throws;
    /// the operation stays journaled).
    public func follow(_ operation: LongRunningOperation, id: ResourceID) async throws -> OperationResult {
        let started = ContinuousClock.now
        var wait = Duration.seconds(1)
        while true {
            let body: ReceivedBody
            do {
                body = try await send("operationStatus", method: "GET", id: id, target: operation.url, body: [])
            } catch let error as ARMError where error.status == 404 || error.status == 410 {
                return .lost
            }
            if operation.isAsyncOperation {
                let document = ARMJSON(parsing: body.bytes)
                switch document?["status"]?.string?.lowercased() {
                case "succeeded":
                    return .completed
                case "failed", "canceled", "cancelled":
                    let code = document?["error"]?["code"]?.string ?? document?["status"]?.string ?? "Failed"
                    let message = document?["error"]?["message"]?.string.map { ": \($0.prefix(300))" } ?? ""
                    return .failed(code + message)
                case nil:
                    throw Self.malformed("operationStatus", id, body, "no status")
                default:
                    break
                }
            } else if body.status != 202 {
                return .completed
            }
            if ContinuousClock.now - started > Self.operationDeadline {
                throw ARMError(
                    operation: "operationStatus",
                    resource: id.name,
                    status: body.status,
                    code: "OperationTimedOut",
                    message: "the regeneration ARM accepted has not ended after \(Self.operationDeadline); it is followed again at the retry",
                    requestID: body.requestID,
                    clientRequestID: body.clientRequestID,
                    attempts: body.attempts
                )
            }
            let asked = body.retryAfter.flatMap(Int.init).map { Duration.seconds(max(0, min($0, 60))) }
            try await sleep(asked ?? wait)
            wait = min(wait * 2, .seconds(10))
        }
    }
}
