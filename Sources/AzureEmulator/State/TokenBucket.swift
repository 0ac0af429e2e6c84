import FoundationEssentials

/// ARM's token bucket: `capacity` burst, `refillPerSecond` refill.
struct TokenBucket: Sendable {
    /// Burst size.
    let capacity: Double
    /// Tokens added per second.
    let refillPerSecond: Double
    private(set) var tokens: Double
    private var updated: Double

    /// A full bucket at time `now` (seconds).
    init(capacity: Double, refillPerSecond: Double, now: Double) {
        self.capacity = capacity
        self.refillPerSecond = refillPerSecond
        self.tokens = capacity
        self.updated = now
    }

    /// Takes one token, or returns the seconds until one is available.
    mutating func take(now: Double) -> Double? {
        tokens = min(capacity, tokens + (now - updated) * refillPerSecond)
        updated = now
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return (1 - tokens) / refillPerSecond
    }
}
