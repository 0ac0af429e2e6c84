import Foundation
import KeyRotation
import PropertyBased
import Testing

struct ScheduleTests {
    @Test func nextDueIsWithinEveryPlusJitter() async {
        await propertyCheck(count: 500, input: Gen.int(in: 1...10_000_000), Gen.int(in: 0...1_000_000), Gen.uint64(in: 0...UInt64.max)) {
            every,
            jitter,
            sample in
            let completed = Date(timeIntervalSince1970: 1_800_000_000)
            let due = Schedule.nextDue(after: completed, every: .milliseconds(Int64(every)), jitter: .milliseconds(Int64(jitter)), sample: sample)
            let offset = due.timeIntervalSince(completed) * 1000
            #expect(offset >= Double(every) - 0.5)
            #expect(offset <= Double(every + jitter) + 0.5)
        }
    }

    @Test func jitterSpreadsResources() {
        var random = SplitMix64(seed: 7)
        let completed = Date(timeIntervalSince1970: 0)
        let dues = (0..<1000).map { _ in
            Schedule.nextDue(after: completed, every: .seconds(60), jitter: .seconds(3600), sample: random.next()).timeIntervalSince1970
        }
        // 1000 resources over an hour of jitter land in many different minutes, not one burst.
        #expect(Set(dues.map { Int($0 / 60) }).count > 50)
    }

    @Test func retryDelayDoublesAndIsCapped() async {
        await propertyCheck(count: 500, input: Gen.int(in: 1...40), Gen.uint64(in: 0...UInt64.max)) { failures, sample in
            let delay = Schedule.retryDelay(failures: failures, initial: .seconds(30), maximum: .seconds(3600), sample: sample)
            let base = min(30.0 * pow(2, Double(min(failures - 1, 30))), 3600)
            #expect(delay.seconds >= base / 2 - 0.001)
            #expect(delay.seconds <= base + 0.001)
        }
    }
}
