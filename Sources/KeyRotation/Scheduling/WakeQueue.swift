import FoundationEssentials
import HeapModule

/// Values keyed by name, each with an optional instant, earliest instant first. The scheduler keeps
/// its resources here, each with its wake-up, so no step ever scans every resource and each
/// resource costs one table entry and one heap item (a second table of instants cost each of
/// 10,000 resources 50 bytes).
///
/// Setting an instant costs O(log n): the old heap item is left behind and skipped when it
/// surfaces (its instant is no longer the name's), and the heap is rebuilt when such items
/// outnumber the live ones.
struct WakeQueue<Value>: Sendable where Value: Sendable {
    private struct Item: Comparable, Sendable {
        var at: Date
        var name: String

        static func < (a: Item, b: Item) -> Bool { (a.at, a.name) < (b.at, b.name) }
    }

    private struct Slot: Sendable {
        var value: Value
        var at: Date?
    }

    private var heap = Heap<Item>()
    private var slots: [String: Slot] = [:]
    /// How many names have an instant.
    private(set) var scheduled = 0

    /// How many names have a value.
    var count: Int { slots.count }

    /// The names and values, in no order.
    var values: [(name: String, value: Value)] { slots.map { ($0.key, $0.value.value) } }

    /// The value of `name`; setting `nil` removes the name and its instant, setting a value keeps
    /// the name's instant.
    subscript(name: String) -> Value? {
        get { slots[name]?.value }
        set {
            guard let newValue else {
                if slots.removeValue(forKey: name)?.at != nil { scheduled -= 1 }
                return
            }
            if slots[name] == nil {
                slots[name] = Slot(value: newValue, at: nil)
            } else {
                slots[name]!.value = newValue
            }
        }
    }

    /// The instant of `name`, if it has one.
    func instant(of name: String) -> Date? { slots[name]?.at }

    /// Sets (or, with `nil`, clears) the instant of `name`, which must have a value.
    mutating func set(_ name: String, at instant: Date?) {
        guard let old = slots[name] else { preconditionFailure("an instant for \(name), which has no value") }
        guard old.at != instant else { return }
        slots[name]!.at = instant
        scheduled += (instant == nil ? 0 : 1) - (old.at == nil ? 0 : 1)
        guard let instant else { return }
        heap.insert(Item(at: instant, name: name))
        if heap.count > 2 * scheduled + 64 {
            heap = Heap(slots.compactMap { name, slot in slot.at.map { Item(at: $0, name: name) } })
        }
    }

    /// The earliest name and instant (ties by name).
    mutating func first() -> (name: String, at: Date)? {
        while let top = heap.min {
            if slots[top.name]?.at == top.at { return (top.name, top.at) }
            heap.removeMin()
        }
        return nil
    }

    /// Clears and returns the earliest name whose instant is at or before `now`; its value stays.
    mutating func popFirst(dueBy now: Date) -> String? {
        guard let (name, at) = first(), at <= now else { return nil }
        heap.removeMin()
        slots[name]!.at = nil
        scheduled -= 1
        return name
    }
}
