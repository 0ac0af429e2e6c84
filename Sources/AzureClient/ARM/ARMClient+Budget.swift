import FoundationEssentials

extension ARMClient {
    /// Sends `request` once it holds a token of `key`'s bucket, and tells the budget how ARM answered.
    ///
    /// The token is taken as late as possible: ARM counts a request when it arrives, so time spent
    /// between taking and sending (a token request, say) would let requests bunch up. After a long
    /// wait the bearer token may be due for refresh, so it is asked for again.
    func sendPaced(_ request: HTTPRequestData, _ key: ARMBudgets.Key) async throws -> HTTPResponseData {
        guard let budgets else { return try await transport.send(request, timeout: timeout) }
        var request = request
        if try await waitForSlot(budgets, key) {
            do {
                let token = try await credential.token(scope: scope)
                if let index = request.headers.firstIndex(where: { $0.0 == "Authorization" }) {
                    request.headers[index].1 = "Bearer " + token.token.exposedValue
                }
            } catch {
                await budgets.completed(key, response: nil)
                throw error
            }
        }
        do {
            let response = try await transport.send(request, timeout: timeout)
            await budgets.completed(key, response: response)
            return response
        } catch {
            await budgets.completed(key, response: nil)
            throw error
        }
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
}
