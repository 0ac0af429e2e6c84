/// Bounds how many followers ask their vault at once: a node of a large group follows one secret
/// per resource, and 10,000 first polls at the same instant would open as many connections, time
/// out, and starve the lease's renewals that share the HTTP client. Waiters enter in arrival
/// order; a cancelled waiter leaves the queue.
public actor PollGate {
    private let limit: Int
    private var inside = 0
    private var waiters: [(id: Int, continuation: CheckedContinuation<Bool, Never>)] = []
    private var nextID = 0

    /// How many wait for a place.
    public var waiting: Int { waiters.count }

    /// A gate that lets `limit` polls run at once.
    public init(limit: Int) {
        precondition(limit > 0, "a gate must let one poll in")
        self.limit = limit
    }

    /// Waits for a place and returns `true` once it has one (to be given back with ``leave()``),
    /// or `false` when the task is cancelled first.
    public func enter() async -> Bool {
        if inside < limit {
            inside += 1
            return true
        }
        nextID += 1
        let id = nextID
        return await withTaskCancellationHandler {
            await withCheckedContinuation { continuation in
                if Task.isCancelled {
                    continuation.resume(returning: false)
                } else {
                    waiters.append((id, continuation))
                }
            }
        } onCancel: {
            Task { await self.cancel(id) }
        }
    }

    /// Gives the place back: the longest waiter takes it.
    public func leave() {
        if waiters.isEmpty {
            inside -= 1
        } else {
            waiters.removeFirst().continuation.resume(returning: true)
        }
    }

    /// Lets a cancelled waiter go without a place.
    private func cancel(_ id: Int) {
        guard let index = waiters.firstIndex(where: { $0.id == id }) else { return }
        waiters.remove(at: index).continuation.resume(returning: false)
    }
}
