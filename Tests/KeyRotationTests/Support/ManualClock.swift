import Foundation
import KeyRotation
import Synchronization

/// A wall clock that only moves when the test says so. Sleepers wake when time passes their deadline.
actor ManualClockState {
    var now: Date
    private var sleepers: [(id: Int, deadline: Date, continuation: CheckedContinuation<Void, any Error>)] = []
    private var nextID = 0
    private var sleeperWaiters: [(count: Int, continuation: CheckedContinuation<Void, Never>)] = []

    init(now: Date) { self.now = now }

    private var cancelled: Set<Int> = []

    func sleep(until deadline: Date, id: Int) async throws {
        if cancelled.remove(id) != nil { throw CancellationError() }
        if deadline <= now { return }
        try await withCheckedThrowingContinuation { continuation in
            sleepers.append((id, deadline, continuation))
            notifyWaiters()
        }
    }

    func newID() -> Int {
        nextID += 1
        return nextID
    }

    func cancel(id: Int) {
        if let index = sleepers.firstIndex(where: { $0.id == id }) {
            sleepers.remove(at: index).continuation.resume(throwing: CancellationError())
        } else {
            cancelled.insert(id)
        }
    }

    func advance(to date: Date) {
        now = max(now, date)
        let due = sleepers.filter { $0.deadline <= now }
        sleepers.removeAll { $0.deadline <= now }
        for sleeper in due { sleeper.continuation.resume() }
    }

    /// Waits until at least `count` tasks are sleeping on the clock.
    func waitForSleepers(_ count: Int) async {
        if sleepers.count >= count { return }
        await withCheckedContinuation { sleeperWaiters.append((count, $0)) }
    }

    var sleeperCount: Int { sleepers.count }
    var earliestDeadline: Date? { sleepers.map(\.deadline).min() }

    private func notifyWaiters() {
        let ready = sleeperWaiters.filter { $0.count <= sleepers.count }
        sleeperWaiters.removeAll { $0.count <= sleepers.count }
        for waiter in ready { waiter.continuation.resume() }
    }
}

/// The ``WallClock`` face of ``ManualClockState``.
struct ManualClock: WallClock {
    let state: ManualClockState
    let start: Date

    init(start: Date = Date(timeIntervalSince1970: 1_800_000_000)) {
        self.start = start
        self.state = ManualClockState(now: start)
        self.cachedNow = NowBox(start)
    }

    private let cachedNow: NowBox

    func now() -> Date { cachedNow.value }

    func sleep(until deadline: Date) async throws {
        let id = await state.newID()
        try await withTaskCancellationHandler {
            try await state.sleep(until: deadline, id: id)
        } onCancel: {
            Task { await state.cancel(id: id) }
        }
    }

    /// Moves time forward to `date`, waking sleepers due by then.
    func advance(to date: Date) async {
        cachedNow.set(date)
        await state.advance(to: date)
    }

    /// Moves time forward by `duration`.
    func advance(by duration: Duration) async {
        await advance(to: now().addingTimeInterval(duration.seconds))
    }
}

/// The current manual time, readable synchronously (``WallClock/now()`` is not async).
final class NowBox: Sendable {
    private let date: Mutex<Date>
    init(_ date: Date) { self.date = Mutex(date) }
    var value: Date { date.withLock { $0 } }
    func set(_ newValue: Date) { date.withLock { $0 = newValue } }
}
