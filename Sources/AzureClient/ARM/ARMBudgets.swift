import FoundationEssentials

/// ARM's request budgets as keyrotd paces itself within them, shared by every ARM client of the
/// daemon: one bucket per subscription, per principal and per kind of request. (Key Vault's clients
/// keep a registry of their own, a bucket of secret creations per vault.) ARM keeps the
/// buckets of two principals on one subscription apart (each credential has its own budget), and
/// reads (`GET`, operation polls) apart from writes (every `listKeys` and regeneration is a POST).
public actor ARMBudgets {
    /// Which of ARM's buckets a request draws on.
    public enum Kind: String, Sendable {
        /// POST, PUT, PATCH: `listKeys` and every regeneration.
        case write
        /// GET: resource reads and long-running operation polls.
        case read

        /// The header in which ARM says how many requests of this kind remain.
        var remainingHeader: String { "x-ms-ratelimit-remaining-subscription-\(rawValue)s" }
    }

    /// A bucket's burst and refill.
    public struct Limits: Sendable, Equatable {
        /// Requests ARM accepts at once from a full bucket.
        public var burst: Int
        /// Requests added per second.
        public var perSecond: Double

        /// Creates limits.
        public init(burst: Int, perSecond: Double) {
            self.burst = burst
            self.perSecond = perSecond
        }

        /// ARM's writes per subscription and principal (the 2024 token-bucket model).
        public static let armWrites = Limits(burst: 200, perSecond: 10)
        /// ARM's reads per subscription and principal.
        public static let armReads = Limits(burst: 250, perSecond: 25)
    }

    /// Whose bucket: ARM's key for it.
    public struct Key: Hashable, Sendable {
        /// The subscription id (matched case-insensitively, as ARM does).
        public var subscription: String
        /// The principal the requests are made as (keyrotd's credential name).
        public var principal: String
        /// Reads or writes.
        public var kind: Kind

        /// Creates a key.
        public init(subscription: String, principal: String, kind: Kind) {
            self.subscription = subscription.lowercased()
            self.principal = principal
            self.kind = kind
        }
    }

    private let writes: Limits
    private let reads: Limits
    private let now: @Sendable () -> Date
    private var budgets: [Key: RequestBudget] = [:]
    /// Total time requests were held back to stay within the budgets (for the benchmark and tests).
    public private(set) var heldBack: TimeInterval = 0

    /// The share of the refill rate keyrotd uses: pacing 2 % under ARM's rate, and keeping one
    /// token of the burst in reserve, absorbs the difference between keyrotd's clock and ARM's.
    public static let pacingFactor = 0.98

    /// Creates the registry; every bucket starts full.
    public init(writes: Limits = .armWrites, reads: Limits = .armReads, now: @escaping @Sendable () -> Date = { Date() }) {
        self.writes = writes
        self.reads = reads
        self.now = now
    }

    /// Joins the queue of `key`'s bucket.
    public func enter(_ key: Key) -> RequestBudget.Ticket {
        update(key) { budget, _ in budget.enter() }
    }

    /// `nil` when the request may be sent now, else how long to wait before asking again.
    public func release(_ ticket: RequestBudget.Ticket, _ key: Key) -> Duration? {
        guard let wait = update(key, { $0.release(ticket, now: $1) }) else { return nil }
        heldBack += wait
        return .milliseconds(Int64((wait * 1000).rounded(.up)))
    }

    /// The request holding `ticket` gave up before it was released.
    public func abandon(_ ticket: RequestBudget.Ticket, _ key: Key) {
        update(key) { budget, _ in budget.abandon(ticket) }
    }

    /// A released request finished; `response` is what ARM answered, `nil` when the answer was lost.
    public func completed(_ key: Key, response: HTTPResponseData?) {
        let remaining = response?.header(key.kind.remainingHeader).flatMap { Int($0) }
        update(key) { $0.completed(now: $1, remaining: remaining, throttled: response?.status == 429) }
    }

    /// Queues for a token of `key`'s bucket, sleeping with `sleep`; returns whether the request had
    /// to wait. Once it returns, the request is in flight for the budget until ``completed(_:response:)``.
    @discardableResult
    public nonisolated func waitForSlot(_ key: Key, sleep: @Sendable (Duration) async throws -> Void) async throws -> Bool {
        let ticket = await enter(key)
        var waited = false
        while let wait = await release(ticket, key) {
            waited = true
            do {
                try await sleep(wait)
            } catch {
                await abandon(ticket, key)
                throw error
            }
        }
        return waited
    }

    /// Runs `send`, the request that took a slot of `key`'s bucket with ``waitForSlot(_:sleep:)``,
    /// and tells the bucket how it ended (an answer, or none).
    public nonisolated func complete(
        _ key: Key,
        _ send: @Sendable () async throws -> HTTPResponseData
    ) async throws -> HTTPResponseData {
        do {
            let response = try await send()
            await completed(key, response: response)
            return response
        } catch {
            await completed(key, response: nil)
            throw error
        }
    }

    /// What each bucket of `kind` holds now, by key: the requests keyrotd may still send at once.
    public func remaining(_ kind: Kind) -> [Key: Double] {
        let at = now()
        return budgets.filter { $0.key.kind == kind }.mapValues { $0.available(at: at) }
    }

    @discardableResult
    private func update<T>(_ key: Key, _ change: (inout RequestBudget, Date) -> T) -> T {
        let at = now()
        // Changed in place: a copy would copy the queue of waiting requests on every call.
        return change(&budgets[key, default: bucket(key.kind, at)], at)
    }

    private func bucket(_ kind: Kind, _ now: Date) -> RequestBudget {
        let limits = kind == .write ? writes : reads
        return RequestBudget(capacity: Double(max(1, limits.burst - 1)), refillPerSecond: limits.perSecond * Self.pacingFactor, now: now)
    }
}
