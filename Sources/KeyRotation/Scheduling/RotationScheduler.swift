import FoundationEssentials
import Logging
import ServiceLifecycle

/// Wakes each resource when it is due (or its retry or grace ends), with at most `concurrency`
/// resources working at once. A `Service`: graceful shutdown starts no new step and cancels the
/// running ones (their HTTP calls, hooks and sleeps end at once), so a stop never waits for a
/// hanging ARM; each step's record is on disk before it acts, and the next start resumes it. Wake-ups, due times and the failing set are kept incrementally, so a finished step
/// costs O(log n) however many resources are configured.
public actor RotationScheduler: Service {
    private struct Entry {
        var rotator: ResourceRotator
        var running = false
        var rotateNow = false
        var emergency = false
        var removed = false
        /// A rotator built from a changed configuration, swapped in when the running step ends.
        var replacement: ResourceRotator?
    }

    private var entries: [String: Entry] = [:]
    /// When each resource that is not running wakes next.
    private var wakes = WakeQueue()
    /// Each resource's next due rotation, for `STATUS=`.
    private var dues = WakeQueue()
    /// Resources whose last step failed.
    private var failing: Set<String> = []
    private let clock: any WallClock
    private let concurrency: Int
    private let notifier: any DaemonNotifier
    private let logger: Logger
    private let maximumSleep: Duration?
    private var stopping = false
    private var sleeper: Task<Void, Never>?
    private var wakePending = false
    private var runningCount = 0
    private var idleWaiters: [CheckedContinuation<Void, Never>] = []
    /// What the last `STATUS=` described (count, failing, next resource and instant).
    private var lastSummary = ""
    /// A lasting remark shown before the summary (a rejected reload), until it is cleared.
    private var note: String?
    /// The followers' part of the summary (`2 followers current`), set by the follower service.
    private var followers: String?
    /// When the last `STATUS=` went out: at most one a second, so thousands of rotations do not
    /// flood the service manager (sd_notify blocks when its socket is full).
    private var lastStatusSentAt: Date?
    /// A newer summary is waiting for the rate limit.
    private var statusPending = false
    private let hangAfter: Date?
    /// Called once each time the scheduler falls idle after work (nothing running, nothing due).
    private let onIdle: @Sendable () -> Void
    /// Called after each finished step and each reload: what the metrics file shows may have changed.
    private let onChange: @Sendable () -> Void
    /// Steps have finished, or a reload replaced the configuration, since `onIdle` last ran.
    private var workSinceIdle = true
    /// How long the scheduler must expect to sleep before it counts as idle.
    static let idleThreshold: TimeInterval = 30

    /// Creates a scheduler over `rotators`; each is first woken at once so interrupted steps resume.
    ///
    /// - Parameters:
    ///   - maximumSleep: wake at least this often (to feed a watchdog), or `nil` to sleep until the
    ///     next due time.
    ///   - hangAfter: a fault switch for tests only: at this instant the loop stops making progress,
    ///     as a deadlocked scheduler would, so the watchdog path can be proven.
    ///   - onIdle: runs when the scheduler falls idle after work, with nothing to do for at least
    ///     30 s; the daemon hands memory the burst of work no longer needs back to the system there.
    ///   - onChange: runs after each finished step and each reload (it must return at once).
    public init(
        rotators: [ResourceRotator],
        clock: any WallClock,
        concurrency: Int,
        notifier: any DaemonNotifier,
        logger: Logger,
        maximumSleep: Duration? = nil,
        hangAfter: Date? = nil,
        onIdle: @escaping @Sendable () -> Void = {},
        onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.onIdle = onIdle
        self.onChange = onChange
        let now = clock.now()
        for rotator in rotators {
            entries[rotator.name] = Entry(rotator: rotator)
            wakes.set(rotator.name, at: now)
        }
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

    /// Stops starting new steps and cancels the running ones; ``run()`` returns when they have ended.
    public func stop() {
        stopping = true
        wake()
    }

    /// Asks for an on-demand rotation of `names` (an emergency one: both keys at once, see
    /// ``RotationMachine/resume(now:fileIntact:rotateNow:emergency:)``); returns the names that are not configured.
    @discardableResult
    public func requestRotation(of names: [String], emergency: Bool = false) -> [String] {
        var unknown: [String] = []
        let now = clock.now()
        for name in names {
            guard entries[name] != nil else {
                unknown.append(name)
                continue
            }
            entries[name]!.rotateNow = true
            if emergency { entries[name]!.emergency = true }
            // A running resource is woken again when its step ends.
            if !entries[name]!.running { wakes.set(name, at: now) }
        }
        wake()
        return unknown
    }

    /// Replaces the set of resources (after a reload). New names start at once; a removed name's
    /// running step is cancelled and the name dropped; a name whose rotator object changed (its
    /// configuration did) has its running step cancelled and resumed by the new rotator from the
    /// recorded step. Passing the same rotator object keeps it as is, running steps and all.
    public func replace(rotators: [ResourceRotator]) {
        // The old configuration, its parse and any replaced rotators are garbage now: the next quiet
        // moment hands that memory back, even when no step runs because nothing changed.
        workSinceIdle = true
        let now = clock.now()
        let names = Set(rotators.map(\.name))
        for name in entries.keys where !names.contains(name) {
            if entries[name]!.running {
                entries[name]!.removed = true
                cancelSteps(of: entries[name]!.rotator)
            } else {
                forget(name)
            }
        }
        for rotator in rotators {
            guard let entry = entries[rotator.name], !entry.removed else {
                entries[rotator.name] = Entry(rotator: rotator)
                wakes.set(rotator.name, at: now)
                continue
            }
            if entry.rotator === rotator { continue }
            if entry.running {
                entries[rotator.name]!.replacement = rotator
                cancelSteps(of: entry.rotator)
            } else {
                entries[rotator.name] = Entry(rotator: rotator)
                wakes.set(rotator.name, at: now)
            }
        }
        publishStatus()
        onChange()
        wake()
    }

    /// A step waiting for ARM or a hook must not hold a reload's change back (minutes, with a hanging
    /// ARM); the record on disk makes stopping it safe.
    private func cancelSteps(of rotator: ResourceRotator) {
        Task { await rotator.cancelRunningSteps() }
    }

    /// Suspends until no resource is working and none is due (for tests and for `rotate --wait`).
    public func waitUntilQuiet() async {
        if runningCount == 0 && !anyDue(clock.now()) { return }
        await withCheckedContinuation { idleWaiters.append($0) }
    }

    // MARK: - Loop

    private func loop() async {
        await withDiscardingTaskGroup { group in
            while !stopping && !Task.isCancelled {
                let now = clock.now()
                while runningCount < concurrency, let name = wakes.popFirst(dueBy: now) {
                    guard let entry = entries[name] else { continue }
                    entries[name]!.running = true
                    let (rotateNow, emergency) = (entry.rotateNow, entry.emergency)
                    entries[name]!.rotateNow = false
                    entries[name]!.emergency = false
                    runningCount += 1
                    let rotator = entry.rotator
                    group.addTask {
                        let next = await rotator.run(rotateNow: rotateNow, emergency: emergency)
                        let record = await rotator.record
                        await self.finished(name, next: next, record: record)
                    }
                }
                if let hangAfter, now >= hangAfter {
                    logger.critical("test fault switch: the scheduler loop hangs now")
                    while true { try? await clock.sleep(until: .distantFuture) }
                }
                notifier.heartbeat()
                if statusPending { publishStatus() }
                notifyIfQuiet()
                // Only before a long quiet spell (watchdog wake-ups aside): trimming between waves of
                // work would just be undone.
                let nextWork = wakes.first()?.at ?? .distantFuture
                if runningCount == 0, workSinceIdle, nextWork.timeIntervalSince(clock.now()) >= Self.idleThreshold {
                    workSinceIdle = false
                    onIdle()
                }
                await sleep(until: nextWake())
            }
            // Stopping: a step waiting for ARM, Entra ID, a hook or a retry would hold the stop for
            // as long as they take (minutes, with a hanging ARM). The recorded step is resumed at start.
            group.cancelAll()
        }
        notifier.stopping()
    }

    private func finished(_ name: String, next: Date, record: ResourceState) {
        runningCount -= 1
        workSinceIdle = true
        guard let entry = entries[name] else { return }
        if entry.removed {
            forget(name)
        } else if let replacement = entry.replacement {
            entries[name] = Entry(rotator: replacement, rotateNow: entry.rotateNow, emergency: entry.emergency)
            wakes.set(name, at: clock.now())
            noteStatus(ResourceStatus(name: name, record: record))
        } else {
            entries[name]!.running = false
            // An on-demand request that arrived while running wakes it again at once.
            wakes.set(name, at: entry.rotateNow ? clock.now() : next)
            noteStatus(ResourceStatus(name: name, record: record))
        }
        publishStatus()
        onChange()
        wake()
    }

    /// Notes a resource's latest status.
    private func noteStatus(_ status: ResourceStatus) {
        dues.set(status.name, at: status.nextDue)
        if status.consecutiveFailures > 0 { failing.insert(status.name) } else { failing.remove(status.name) }
    }

    /// Drops a resource the configuration no longer names.
    private func forget(_ name: String) {
        entries[name] = nil
        wakes.set(name, at: nil)
        dues.set(name, at: nil)
        failing.remove(name)
    }

    /// Sends the one-line summary to the service manager when it changed.
    private func publishStatus() {
        let next = dues.first()
        // The summary's relative times change every second; update only when what they describe changes.
        let key = "\(note ?? "") \(entries.count) \(failing.count) \(next?.name ?? "-") \(next?.at.timeIntervalSince1970 ?? 0) \(followers ?? "")"
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
        notifier.status(summary)
    }

    /// The rotator of `name`, for reading its live record.
    public func rotator(named name: String) -> ResourceRotator? { entries[name]?.rotator }

    /// The configured resources' names, sorted.
    public var names: [String] { entries.keys.sorted() }

    /// The current one-line summary (what `STATUS=` shows), after the note if there is one.
    public var summary: String {
        let prefix = note.map { $0 + "; " } ?? ""
        // A host that only follows has no resources to speak of.
        if entries.isEmpty, let followers { return prefix + followers }
        return prefix + ResourceStatus.summary(count: entries.count, failing: failing.count, next: dues.first(), now: clock.now())
            + (followers.map { "; " + $0 } ?? "")
    }

    /// Tells the service manager the daemon is ready, with the summary as it is at that moment.
    /// Sent from inside the scheduler, so that a status it sends around then (the followers' first)
    /// cannot be overtaken by a summary computed before it.
    public func announceReady() {
        notifier.ready(status: summary)
    }

    /// Sets the followers' part of the summary (``FollowerStatus/summary(_:)``), sent at once when it changed.
    public func setFollowers(_ summary: String?) {
        followers = summary
        publishStatus()
    }

    /// Sets (or, with `nil`, clears) a remark that stays at the front of `STATUS=` through later
    /// updates: a rejected reload must stay visible in `systemctl status`, not vanish at the next rotation.
    public func setNote(_ note: String?) {
        self.note = note
        publishStatus()
    }

    private func anyDue(_ now: Date) -> Bool {
        wakes.first().map { $0.at <= now } ?? false
    }

    private func nextWake() -> Date {
        var next = wakes.first()?.at ?? .distantFuture
        if let maximumSleep { next = min(next, clock.now().addingTimeInterval(maximumSleep.seconds)) }
        if statusPending, let last = lastStatusSentAt { next = min(next, last.addingTimeInterval(1)) }
        return next
    }

    private func notifyIfQuiet() {
        guard !idleWaiters.isEmpty, runningCount == 0 else { return }
        guard !anyDue(clock.now()) else { return }
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
