import Follower
import Testing

/// The order waiters entered in.
private actor Arrivals {
    private(set) var order: [Int] = []
    func note(_ i: Int) { order.append(i) }
}

/// The gate of the followers' polls: never more inside than its limit, places handed on in arrival
/// order, and a cancelled waiter leaves without a place.
struct PollGateTests {
    @Test func atMostTheLimitIsInsideAndPlacesGoInArrivalOrder() async throws {
        let gate = PollGate(limit: 2)
        #expect(await gate.enter())
        #expect(await gate.enter())
        let arrivals = Arrivals()
        var waiting: [Task<Bool, Never>] = []
        for i in 0..<3 {
            waiting.append(
                Task {
                    let entered = await gate.enter()
                    await arrivals.note(i)
                    return entered
                }
            )
            // Each waiter queues before the next starts.
            try await waitUntil { await gate.waiting == i + 1 }
        }
        #expect(await arrivals.order.isEmpty, "no third poll while two are inside")
        for _ in 0..<3 { await gate.leave() }
        for task in waiting { #expect(await task.value) }
        #expect(await arrivals.order == [0, 1, 2])
    }

    @Test func aCancelledWaiterLeavesWithoutAPlace() async throws {
        let gate = PollGate(limit: 1)
        #expect(await gate.enter())
        let waiter = Task { await gate.enter() }
        try await waitUntil { await gate.waiting == 1 }
        waiter.cancel()
        #expect(await waiter.value == false)
        #expect(await gate.waiting == 0)
        // The place is still the first holder's: it is handed on, not lost or doubled.
        let next = Task { await gate.enter() }
        try await waitUntil { await gate.waiting == 1 }
        await gate.leave()
        #expect(await next.value)
    }

    private func waitUntil(_ condition: () async -> Bool) async throws {
        for _ in 0..<10_000 {
            if await condition() { return }
            await Task.yield()
        }
        Issue.record("the condition never held")
        throw CancellationError()
    }
}
