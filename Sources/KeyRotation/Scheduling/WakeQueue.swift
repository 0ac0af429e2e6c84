import FoundationEssentials
import HeapModule

/// Instants keyed by name, earliest first. Setting a name's instant costs O(log n): the old heap
/// item is left behind and skipped when it surfaces, and the heap is rebuilt when such items
/// outnumber the live ones. The scheduler keeps its wake-ups and due times here, so no step ever
/// scans every resource.
struct WakeQueue: Sendable {
    private struct Item: Comparable, Sendable {
        var at: Date
        var name: String
        var generation: UInt64

        static func < (a: Item, b: Item) -> Bool { (a.at, a.name) < (b.at, b.name) }
    }

    private var heap = Heap<Item>()
    private var live: [String: (at: Date, generation: UInt64)] = [:]
    private var generation: UInt64 = 0

    /// How many names have an instant.
    var count: Int { live.count }

    /// The instant of `name`, if it has one.
    func instant(of name: String) -> Date? { live[name]?.at }

    /// Sets (or, with `nil`, clears) the instant of `name`.
    mutating func set(_ name: String, at instant: Date?) {
        guard let instant else {
            live[name] = nil
            return
        }
        generation += 1
        live[name] = (instant, generation)
        heap.insert(Item(at: instant, name: name, generation: generation))
        if heap.count > 2 * live.count + 64 {
            heap = Heap(live.map { Item(at: $0.value.at, name: $0.key, generation: $0.value.generation) })
        }
    }

    /// The earliest name and instant (ties by name).
    mutating func first() -> (name: String, at: Date)? {
        while let top = heap.min {
            if live[top.name]?.generation == top.generation { return (top.name, top.at) }
            heap.removeMin()
        }
        return nil
    }

    /// Removes and returns the earliest name whose instant is at or before `now`.
    mutating func popFirst(dueBy now: Date) -> String? {
        guard let (name, at) = first(), at <= now else { return nil }
        heap.removeMin()
        live[name] = nil
        return name
    }
}
