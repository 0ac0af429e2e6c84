import DequeModule
import FoundationEssentials

/// One of ARM's request budgets (the writes or the reads of a subscription and principal) as
/// keyrotd sees it: a token bucket (burst, refill per second) that ARM's own
/// `x-ms-ratelimit-remaining-subscription-…` header can only lower (other clients share it).
/// Requests queue for a token in arrival order and are released one at a time, so keyrotd paces
/// itself under the throttle instead of bouncing off it.
///
/// ARM counts a request when it *arrives*, which is somewhere between keyrotd sending it and the
/// answer coming back. While requests are in flight ARM's bucket may still be full and waste its
/// refill, and then the delayed requests land together. So refill only counts up to `capacity`
/// minus the requests in flight: whatever the delays, the requests that reach ARM never outrun its
/// bucket.
public struct RequestBudget: Sendable {
    /// A request's place in the queue.
    public typealias Ticket = UInt64

    /// The burst.
    public let capacity: Double
    /// Tokens added per second.
    public let refillPerSecond: Double
    private var available: Double
    private var inFlight = 0
    private var waiting: Deque<Ticket> = []
    private var nextTicket: Ticket = 0
    private var updatedAt: Date

    /// A full bucket at `now`.
    public init(capacity: Double, refillPerSecond: Double, now: Date) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.available = capacity
        self.updatedAt = now
    }

    /// Joins the queue of requests.
    public mutating func enter() -> Ticket {
        defer { nextTicket += 1 }
        waiting.append(nextTicket)
        return nextTicket
    }

    /// Either releases `ticket` to send now (`nil`: the request is counted as in flight until
    /// ``completed(now:remaining:throttled:)``) or says how long to wait before asking again.
    /// A request may go when there are tokens for it and for everyone queued ahead of it.
    public mutating func release(_ ticket: Ticket, now: Date) -> TimeInterval? {
        refill(now)
        guard let position = index(of: ticket) else { return nil }
        let needed = Double(position + 1)
        guard available >= needed else { return max((needed - available) / refillPerSecond, 0.001) }
        waiting.remove(at: position)
        available -= 1
        inFlight += 1
        return nil
    }

    /// A queued request gave up (its task was cancelled) before it was released.
    public mutating func abandon(_ ticket: Ticket) {
        if let position = index(of: ticket) { waiting.remove(at: position) }
    }

    /// A released request finished: answered (with ARM's remaining count, or a 429) or lost.
    public mutating func completed(now: Date, remaining: Int? = nil, throttled: Bool = false) {
        refill(now)
        inFlight = max(0, inFlight - 1)
        if throttled { available = min(available, 0) }
        // ARM's count includes other clients of the budget: believe it when it is lower.
        if let remaining { available = min(available, Double(remaining)) }
    }

    /// The requests that could go at `now` without waiting (the queue aside), for the metrics file.
    public func available(at now: Date) -> Double {
        var budget = self
        budget.refill(now)
        return max(0, budget.available)
    }

    private func index(of ticket: Ticket) -> Int? {
        // Tickets are queued in increasing order; a binary search finds one among thousands.
        var low = 0
        var high = waiting.count
        while low < high {
            let middle = (low + high) / 2
            if waiting[middle] < ticket { low = middle + 1 } else { high = middle }
        }
        return low < waiting.count && waiting[low] == ticket ? low : nil
    }

    private mutating func refill(_ now: Date) {
        let elapsed = max(0, now.timeIntervalSince(updatedAt))
        let ceiling = capacity - Double(inFlight)
        if available < ceiling { available = min(ceiling, available + elapsed * refillPerSecond) }
        updatedAt = max(updatedAt, now)
    }
}
