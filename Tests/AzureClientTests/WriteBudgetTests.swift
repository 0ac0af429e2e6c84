import AzureClient
import Foundation
import KeyRotation
import PropertyBased
import Testing

struct WriteBudgetTests {
    /// Whatever the arrival pattern, the writes released in any window [a, b] never exceed
    /// burst + rate·(b − a): the law ARM's bucket enforces, so a paced keyrotd is never throttled.
    @Test func releasedWritesNeverExceedTheBucketLaw() async {
        await propertyCheck(count: 100, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = SplitMix64(seed: seed)
            let capacity = Double(1 + random.next() % 50)
            let rate = Double(1 + random.next() % 20)
            let start = Date(timeIntervalSince1970: 1_000)
            var budget = WriteBudget(capacity: capacity, refillPerSecond: rate, now: start)
            var clock = 0.0
            var releases: [Double] = []
            for _ in 0..<300 {
                clock += Double(random.next() % 1000) / 1000 * (random.next() % 3 == 0 ? 2 : 0.05)
                releases.append(clock + budget.take(now: start.addingTimeInterval(clock)))
            }
            releases.sort()
            var violations = 0
            for i in releases.indices {
                for j in i..<releases.count where Double(j - i + 1) > capacity + rate * (releases[j] - releases[i]) + 1e-3 {
                    violations += 1
                }
            }
            #expect(violations == 0)
        }
    }

    @Test func armsRemainingWritesHeaderOnlyLowersTheEstimate() {
        let start = Date(timeIntervalSince1970: 0)
        var budget = WriteBudget(capacity: 200, refillPerSecond: 10, now: start)
        budget.observe(remaining: 3, now: start)
        #expect((0..<3).map { _ in budget.take(now: start) } == [0, 0, 0])
        #expect(budget.take(now: start) == 0.1)
        budget.observe(remaining: 500, now: start)
        #expect(budget.take(now: start) == 0.2, "a higher count from ARM does not lend tokens keyrotd has not earned")
        var throttled = WriteBudget(capacity: 200, refillPerSecond: 10, now: start)
        throttled.throttled(now: start)
        #expect(throttled.take(now: start) == 0.1)
    }

    @Test func budgetsAreKeptPerSubscriptionCaseInsensitively() async {
        let budgets = WriteBudgets(capacity: 2, refillPerSecond: 1, now: { Date(timeIntervalSince1970: 0) })
        #expect(await budgets.take("SUB-A") == .zero)
        #expect(await budgets.take("sub-a") == .milliseconds(Int64((1000 / WriteBudgets.pacingFactor).rounded(.up))))
        #expect(await budgets.take("sub-b") == .zero)
        await budgets.observe("sub-b", response: HTTPResponseData(status: 429))
        #expect(await budgets.take("sub-b") > .seconds(1))
    }
}
