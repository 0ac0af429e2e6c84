import Foundation

/// ARM's write budget for one subscription as keyrotd sees it: a token bucket (burst, refill per
/// second) that ARM's own `x-ms-ratelimit-remaining-subscription-writes` header can only lower
/// (other writers share the subscription). keyrotd waits for a token before each write, so it paces
/// itself under the throttle instead of bouncing off it with 429s.
public struct WriteBudget: Sendable {
    /// The burst.
    public let capacity: Double
    /// Tokens added per second.
    public let refillPerSecond: Double
    private var tokens: Double
    private var updatedAt: Date

    /// A full bucket at `now`.
    public init(capacity: Double, refillPerSecond: Double, now: Date) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.updatedAt = now
    }

    /// Takes one write and returns how long to wait before sending it (zero when a token is
    /// there). An empty bucket lends from the future, so concurrent writers queue in order, each
    /// one refill interval after the last.
    public mutating func take(now: Date) -> TimeInterval {
        refill(now)
        tokens -= 1
        return tokens >= 0 ? 0 : -tokens / refillPerSecond
    }

    /// ARM said `remaining` writes are left: believe it when it is fewer than expected.
    public mutating func observe(remaining: Int, now: Date) {
        refill(now)
        tokens = min(tokens, Double(remaining))
    }

    /// ARM answered 429: the bucket is empty (the retry waits as ARM asks).
    public mutating func throttled(now: Date) {
        refill(now)
        tokens = min(tokens, 0)
    }

    private mutating func refill(_ now: Date) {
        let elapsed = max(0, now.timeIntervalSince(updatedAt))
        tokens = min(capacity, tokens + elapsed * refillPerSecond)
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

    /// The share of the refill rate keyrotd uses: ARM counts a write when it arrives, and arrival
    /// times jitter by a connection set-up or two; pacing 2 % under the rate, and keeping one token
    /// of the burst in reserve, absorbs that.
    public static let pacingFactor = 0.98

    /// Creates the registry; every subscription starts with a full bucket.
    public init(capacity: Int = 200, refillPerSecond: Double = 10, now: @escaping @Sendable () -> Date = { Date() }) {
        self.capacity = Double(max(1, capacity - 1))
        self.refillPerSecond = refillPerSecond * Self.pacingFactor
        self.now = now
    }

    /// Takes a write token for `subscription`; returns how long the caller must wait first.
    public func take(_ subscription: String) -> Duration {
        let wait = update(subscription) { $0.take(now: $1) }
        heldBack += wait
        return .milliseconds(Int64((wait * 1000).rounded(.up)))
    }

    /// Feeds back what ARM answered a write.
    public func observe(_ subscription: String, response: HTTPResponseData) {
        if response.status == 429 {
            update(subscription) { $0.throttled(now: $1) }
        } else if let text = response.header("x-ms-ratelimit-remaining-subscription-writes"), let remaining = Int(text) {
            update(subscription) { $0.observe(remaining: remaining, now: $1) }
        }
    }

    @discardableResult
    private func update<T>(_ subscription: String, _ change: (inout WriteBudget, Date) -> T) -> T {
        let key = subscription.lowercased()
        let at = now()
        var budget = budgets[key] ?? WriteBudget(capacity: capacity, refillPerSecond: refillPerSecond, now: at)
        let result = change(&budget, at)
        budgets[key] = budget
        return result
    }
}
