import FoundationEssentials

extension ARMClient {
    /// Sends `request` once it holds a token of `key`'s bucket, and tells the budget how ARM answered.
    ///
    /// The token is taken as late as possible: ARM counts a request when it arrives, so time spent
    /// between taking and sending (a token request, say) would let requests bunch up. After a long
    /// wait the bearer token may be due for refresh, so it is asked for again.
    func sendPaced(_ request: HTTPRequestData, _ key: ARMBudgets.Key) async throws -> HTTPResponseData {
        guard let budgets else { return try await transport.send(request, timeout: timeout) }
        let waited = try await budgets.waitForSlot(key, sleep: sleep)
        return try await budgets.complete(key) {
            var request = request
            if waited {
                let token = try await credential.token(scope: scope)
                if let index = request.headers.firstIndex(where: { $0.0 == "Authorization" }) {
                    request.headers[index].1 = "Bearer " + token.token.exposedValue
                }
            }
            return try await transport.send(request, timeout: timeout)
        }
    }
}
