import DequeModule
import FoundationEssentials

/// ARM's write budget for one subscription as keyrotd sees it: a token bucket (burst, refill per
/// second) that ARM's own `x-ms-ratelimit-remaining-subscription-writes` header can only lower
/// (other writers share the subscription). Writers queue for a token in arrival order and are
/// released one at a time, so keyrotd paces itself under the throttle instead of bouncing off it.
///
/// ARM counts a write when it *arrives*, which is somewhere between keyrotd sending it and the
/// answer coming back. While writes are in flight ARM's bucket may still be full and waste its
/// refill, and then the delayed writes land together. So refill only counts up to `capacity`
/// minus the writes in flight: whatever the delays, the writes that reach ARM never outrun its
/// bucket.
public struct WriteBudget: Sendable {
    /// A writer's place in the queue.
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

    /// Joins the queue of writers.
    public mutating func enter() -> Ticket {
        defer { nextTicket += 1 }
        waiting.append(nextTicket)
        return nextTicket
    }

    /// Either releases `ticket` to send now (`nil`: the write is counted as in flight until
    /// ``completed(now:remaining:throttled:)``) or says how long to wait before asking again.
    /// A writer may go when there are tokens for it and for everyone queued ahead of it.
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

    /// A queued writer gave up (its task was cancelled) before it was released.
    public mutating func abandon(_ ticket: Ticket) {
        if let position = index(of: ticket) { waiting.remove(at: position) }
    }

    /// A released write finished: answered (with ARM's remaining count, or a 429) or lost.
    public mutating func completed(now: Date, remaining: Int? = nil, throttled: Bool = false) {
        refill(now)
        inFlight = max(0, inFlight - 1)
        if throttled { available = min(available, 0) }
        // ARM's count includes other writers to the subscription: believe it when it is lower.
        if let remaining { available = min(available, Double(remaining)) }
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

/// The write budgets of every subscription keyrotd writes to, shared by all ARM clients.
public actor WriteBudgets {
    private let capacity: Double
    private let refillPerSecond: Double
    private let now: @Sendable () -> Date
    private var budgets: [String: WriteBudget] = [:]
    /// Total time writes were held back to stay within the budgets (for the benchmark and tests).
    public private(set) var heldBack: TimeInterval = 0

    /// The share of the refill rate keyrotd uses: pacing 2 % under ARM's rate, and keeping one
    /// token of the burst in reserve, absorbs the difference between keyrotd's clock and ARM's.
    public static let pacingFactor = 0.98

    /// Creates the registry; every subscription starts with a full bucket.
    public init(capacity: Int = 200, refillPerSecond: Double = 10, now: @escaping @Sendable () -> Date = { Date() }) {
        self.capacity = Double(max(1, capacity - 1))
        self.refillPerSecond = refillPerSecond * Self.pacingFactor
        self.now = now
    }

    /// Joins `subscription`'s queue of writers.
    public func enter(_ subscription: String) -> WriteBudget.Ticket {
        update(subscription) { budget, _ in budget.enter() }
    }

    /// `nil` when the write may be sent now, else how long to wait before asking again.
    public func release(_ ticket: WriteBudget.Ticket, _ subscription: String) -> Duration? {
        guard let wait = update(subscription, { $0.release(ticket, now: $1) }) else { return nil }
        heldBack += wait
        return .milliseconds(Int64((wait * 1000).rounded(.up)))
    }

    /// The writer holding `ticket` gave up before it was released.
    public func abandon(_ ticket: WriteBudget.Ticket, _ subscription: String) {
        update(subscription) { budget, _ in budget.abandon(ticket) }
    }

    /// A released write finished; `response` is what ARM answered, `nil` when the answer was lost.
    public func completed(_ subscription: String, response: HTTPResponseData?) {
        let remaining = response?.header("x-ms-ratelimit-remaining-subscription-writes").flatMap { Int($0) }
        update(subscription) { $0.completed(now: $1, remaining: remaining, throttled: response?.status == 429) }
    }

    @discardableResult
    private func update<T>(_ subscription: String, _ change: (inout WriteBudget, Date) -> T) -> T {
        let at = now()
        // Changed in place: a copy would copy the queue of waiting writers on every call.
        return change(&budgets[subscription.lowercased(), default: WriteBudget(capacity: capacity, refillPerSecond: refillPerSecond, now: at)], at)
    }
}
