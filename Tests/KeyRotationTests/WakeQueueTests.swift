import Foundation
import PropertyBased
import Testing

@testable import KeyRotation

struct WakeQueueTests {
    /// Random value changes, removals, instants set and cleared, and pops agree with two plain
    /// dictionaries scanned for the minimum, including across the rebuilds that drop stale heap items
    /// and an instant set again to one it had before.
    @Test func agreesWithAScanOfEveryInstant() async {
        await propertyCheck(count: 200, input: Gen.uint64(in: 0...UInt64.max)) { seed in
            var random = SplitMix64(seed: seed)
            var queue = WakeQueue<Int>()
            var values: [String: Int] = [:]
            var instants: [String: Date] = [:]
            for step in 0..<600 {
                let name = "r\(random.next() % 40)"
                let instant = Date(timeIntervalSince1970: Double(random.next() % 1000))
                switch random.next() % 6 {
                case 0:
                    queue[name] = step
                    values[name] = step
                case 1:
                    queue[name] = nil
                    values[name] = nil
                    instants[name] = nil
                case 2, 3:
                    guard values[name] != nil else { continue }
                    queue.set(name, at: instant)
                    instants[name] = instant
                case 4:
                    guard values[name] != nil else { continue }
                    queue.set(name, at: nil)
                    instants[name] = nil
                default:
                    let expected = instants.filter { $0.value <= instant }.min { ($0.value, $0.key) < ($1.value, $1.key) }
                    let popped = queue.popFirst(dueBy: instant)
                    #expect(popped == expected?.key)
                    if let popped { instants[popped] = nil }
                }
                let first = queue.first()
                let expected = instants.min { ($0.value, $0.key) < ($1.value, $1.key) }
                #expect(first?.name == expected?.key && first?.at == expected?.value)
                #expect(queue.count == values.count && queue.scheduled == instants.count)
                #expect(Dictionary(uniqueKeysWithValues: queue.values.map { ($0.name, $0.value) }) == values)
                #expect(instants.allSatisfy { queue.instant(of: $0.key) == $0.value })
            }
        }
    }
}
