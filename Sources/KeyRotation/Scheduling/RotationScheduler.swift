import Foundation
import Logging
import ServiceLifecycle

/// Wakes each resource when it is due (or its retry or grace ends), with at most `concurrency`
/// resources working at once. A `Service`: graceful shutdown lets running steps finish and starts
/// no new ones.
public actor RotationScheduler: Service {
    private struct Entry {
        var rotator: ResourceRotator
        var wakeAt: Date
        var running = false
        var rotateNow = false
        var removed = false
        /// A rotator built from a changed configuration, swapped in when the running step ends.
        var replacement: ResourceRotator?
    }

    private var entries: [String: Entry] = [:]
    private let clock: any WallClock
    private var concurrency: Int
    private let notifier: any DaemonNotifier
    private let logger: Logger
    private let maximumSleep: Duration?
    private var stopping = false
    private var sleeper: Task<Void, Never>?
    private var wakePending = false
    private var runningCount = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    private var statuses: [String: ResourceStatus] = [:]
    /// What the last `STATUS=` described (count, failing, next resource and instant).
    private var lastSummary = ""
    /// When the last `STATUS=` went out: at most one a second, so thousands of rotations do not
    /// flood the service manager (sd_notify blocks when its socket is full).
    private var lastStatusSentAt: Date?
    /// A newer summary is waiting for the rate limit.
    private var statusPending = false
    private let hangAfter: Date?

    /// Creates a scheduler over `rotators`; each is first woken at once so interrupted steps resume.
    ///
    /// - Parameters:
    ///   - maximumSleep: wake at least this often (to feed a watchdog), or `nil` to sleep until the
    ///     next due time.
    ///   - hangAfter: a fault switch for tests only: at this instant the loop stops making progress,
    ///     as a deadlocked scheduler would, so the watchdog path can be proven.
    public init(
        rotators: [ResourceRotator],
        clock: any WallClock,
        concurrency: Int,
        notifier: any DaemonNotifier,
        logger: Logger,
        maximumSleep: Duration? = nil,
        hangAfter: Date? = nil
    ) {
        let now = clock.now()
        for rotator in rotators { entries[rotator.name] = Entry(rotator: rotator, wakeAt: now) }
        self.clock = clock
        self.concurrency = max(1, concurrency)
        self.notifier = notifier
        self.logger = logger
        self.maximumSleep = maximumSleep
        self.hangAfter = hangAfter
    }

    /// Runs until graceful shutdown (or cancellation).
    public func run() async throws {
        await withGracefulShutdownHandler {
            await self.loop()
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
    }

    /// Stops starting new steps; ``run()`` returns when the running ones finish.
    public func stop() {
        stopping = true
        wake()
    }

    /// Asks for an on-demand rotation of `names`; returns the names that are not configured.
    @discardableResult
    public func requestRotation(of names: [String]) -> [String] {
        var unknown: [String] = []
        let now = clock.now()
        for name in names {
            guard entries[name] != nil else {
                unknown.append(name)
                continue
            }
            entries[name]!.rotateNow = true
            entries[name]!.wakeAt = now
        }
        wake()
        return unknown
    }

    /// Replaces the set of resources (after a reload). New names start at once; removed ones stop after
    /// their current step; a name whose rotator object changed gets the new one when it is not
    /// working (in-flight steps are never disturbed). Passing the same rotator object keeps it as is.
    public func replace(rotators: [ResourceRotator], concurrency: Int) {
        self.concurrency = max(1, concurrency)
        let now = clock.now()
        let names = Set(rotators.map(\.name))
        for name in entries.keys where !names.contains(name) {
            if entries[name]!.running {
                entries[name]!.removed = true
            } else {
                entries[name] = nil
                statuses[name] = nil
            }
        }
        for rotator in rotators {
            guard let entry = entries[rotator.name], !entry.removed else {
                entries[rotator.name] = Entry(rotator: rotator, wakeAt: now)
                continue
            }
            if entry.rotator === rotator { continue }
            if entry.running {
                entries[rotator.name]!.replacement = rotator
            } else {
                entries[rotator.name] = Entry(rotator: rotator, wakeAt: now)
            }
        }
        publishStatus()
        wake()
    }

    /// Suspends until no resource is working and none is due (for tests and for `rotate --wait`).
    public func waitUntilQuiet() async {
        if runningCount == 0 && !entries.values.contains(where: { $0.wakeAt <= clock.now() }) { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    // MARK: - Loop

    private func loop() async {
        await withDiscardingTaskGroup { group in
            while !stopping && !Task.isCancelled {
                let now = clock.now()
                let due = entries.filter { !$0.value.running && $0.value.wakeAt <= now }
                    .sorted { ($0.value.wakeAt, $0.key) < ($1.value.wakeAt, $1.key) }
                for (name, entry) in due where runningCount < concurrency {
                    entries[name]!.running = true
                    let rotateNow = entry.rotateNow
                    entries[name]!.rotateNow = false
                    runningCount += 1
                    let rotator = entry.rotator
                    group.addTask {
                        let next = await rotator.run(rotateNow: rotateNow)
                        let record = await rotator.record
                        await self.finished(name, next: next, record: record)
                    }
                }
                if let hangAfter, now >= hangAfter {
                    logger.critical("test fault switch: the scheduler loop hangs now")
                    while true { try? await Task.sleep(for: .seconds(3600)) }
                }
                notifier.heartbeat()
                if statusPending { publishStatus() }
                notifyIfQuiet()
                await sleep(until: nextWake())
            }
        }
        notifier.stopping()
    }

    private func finished(_ name: String, next: Date, record: ResourceState) {
        runningCount -= 1
        guard var entry = entries[name] else { return }
        if entry.removed {
            entries[name] = nil
            statuses[name] = nil
        } else if let replacement = entry.replacement {
            entries[name] = Entry(rotator: replacement, wakeAt: clock.now(), rotateNow: entry.rotateNow)
            statuses[name] = ResourceStatus(name: name, record: record)
        } else {
            entry.running = false
            // An on-demand request that arrived while running wakes it again at once.
            entry.wakeAt = entry.rotateNow ? clock.now() : next
            entries[name] = entry
            statuses[name] = ResourceStatus(name: name, record: record)
        }
        publishStatus()
        wake()
    }

    /// Sends the one-line summary to the service manager when it changed.
    private func publishStatus() {
        let current = currentStatuses
        // The summary's relative times change every second; update only when what they describe changes.
        let next = current.compactMap { s in s.nextDue.map { (s.name, $0) } }.min { $0.1 < $1.1 }
        let key = "\(current.count) \(current.filter { $0.consecutiveFailures > 0 }.count) \(next?.0 ?? "-") \(next?.1.timeIntervalSince1970 ?? 0)"
        guard key != lastSummary else {
            statusPending = false
            return
        }
        let now = clock.now()
        if let last = lastStatusSentAt, now.timeIntervalSince(last) < 1 {
            statusPending = true
            return
        }
        lastSummary = key
        lastStatusSentAt = now
        statusPending = false
        notifier.status(ResourceStatus.summary(current, now: now))
    }

    private var currentStatuses: [ResourceStatus] {
        entries.keys.map { statuses[$0] ?? ResourceStatus(name: $0, record: nil) }
    }

    /// The current one-line summary (what `STATUS=` shows).
    public var summary: String { ResourceStatus.summary(currentStatuses, now: clock.now()) }

    private func nextWake() -> Date {
        var next = entries.values.filter { !$0.running }.map(\.wakeAt).min() ?? .distantFuture
        if let maximumSleep { next = min(next, clock.now().addingTimeInterval(maximumSleep.seconds)) }
        if statusPending, let last = lastStatusSentAt { next = min(next, last.addingTimeInterval(1)) }
        return next
    }

    private func notifyIfQuiet() {
        guard !idleWaiters.isEmpty, runningCount == 0 else { return }
        let now = clock.now()
        guard !entries.values.contains(where: { $0.wakeAt <= now }) else { return }
        let waiters = idleWaiters
        idleWaiters.removeAll()
        for waiter in waiters { waiter.resume() }
    }

    private func sleep(until deadline: Date) async {
        if wakePending || stopping || Task.isCancelled {
            wakePending = false
            return
        }
        let clock = self.clock
        let task = Task { _ = try? await clock.sleep(until: deadline) }
        sleeper = task
        await task.value
        sleeper = nil
        wakePending = false
    }

    private func wake() {
        if let sleeper {
            sleeper.cancel()
        } else {
            wakePending = true
        }
    }
}
