import Foundation
import PropertyBased
import Testing

@testable import KeyRotation

struct WakeQueueTests {
    /// Random sets, clears and pops agree with a plain dictionary scanned for its minimum, including
    /// across the rebuilds that drop stale heap items.
    @Test func agreesWithAScanOfEveryInstant() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = SplitMix64(seed: seed)
            var queue = WakeQueue()
            var reference: [String: Date] = [:]
            for _ in 0..<600 {
                let name = "r\(random.next() % 40)"
                let instant = Date(timeIntervalSince1970: Double(random.next() % 1000))
                switch random.next() % 4 {
                case 0, 1:
                    queue.set(name, at: instant)
                    reference[name] = instant
                case 2:
                    queue.set(name, at: nil)
                    reference[name] = nil
                default:
                    let expected = reference.filter { $0.value <= instant }.min { ($0.value, $0.key) < ($1.value, $1.key) }
                    let popped = queue.popFirst(dueBy: instant)
                    #expect(popped == expected?.key)
                    if let popped { reference[popped] = nil }
                }
                let first = queue.first()
                let expected = reference.min { ($0.value, $0.key) < ($1.value, $1.key) }
                #expect(first?.name == expected?.key && first?.at == expected?.value)
                #expect(queue.count == reference.count)
            }
        }
    }
}
