import FoundationEssentials

extension HTTPTransport {
    /// Sends `request`, retrying connection failures and timeouts as `retry` allows. `attempt` counts
    /// every try, so the caller's own retries of HTTP answers share the same budget; the last
    /// ``TransportError`` is thrown when the budget is spent.
    func send(
        _ request: HTTPRequestData,
        timeout: Duration,
        retry: RetryPolicy,
        attempt: inout Int,
        sleep: @Sendable (Duration) async throws -> Void
    ) async throws -> HTTPResponseData {
        while true {
            attempt += 1
            do {
                return try await send(request, timeout: timeout)
            } catch let error as TransportError {
                guard let delay = retry.delay(after: error, attempt: attempt) else { throw error }
                try await sleep(delay)
            }
        }
    }
}
