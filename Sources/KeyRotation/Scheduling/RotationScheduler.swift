import FoundationEssentials
import Logging
import ServiceLifecycle

/// Wakes each resource when it is due (or its retry or grace ends), with at most `concurrency`
/// resources working at once. A `Service`: graceful shutdown starts no new step and cancels the
/// running ones (their HTTP calls, hooks and sleeps end at once), so a stop never waits for a
/// hanging ARM; each step's record is on disk before it acts, and the next start resumes it. Wake-ups and the failing set are kept incrementally, so a finished step
/// costs O(log n) however many resources are configured.
public actor RotationScheduler: Service {
    /// What the scheduler asks of a resource's next run.
    private struct Request: OptionSet {
        let rawValue: UInt8
        /// Rotate now, even if not due.
        static let rotate = Request(rawValue: 1)
        /// Both keys leaked: rotate without grace.
        static let emergency = Request(rawValue: 2)
    }

    /// One resource, waiting for its wake-up or running a step.
    private enum Entry {
        /// Not running; `request` is passed to its next run.
        case waiting(ResourceRotator, request: Request)
        /// Running a step; `request` arrived meanwhile, and `then` says what follows the step.
        case running(ResourceRotator, request: Request, then: AfterStep)

        var rotator: ResourceRotator {
            switch self {
            case .waiting(let rotator, _), .running(let rotator, _, _): rotator
            }
        }
    }

    /// What follows a running step.
    private enum AfterStep {
        /// The rotator goes on.
        case keep
        /// A changed configuration built this rotator, which takes over from the recorded step.
        case replace(ResourceRotator)
        /// The configuration no longer names the resource.
        case remove
    }

    /// Each resource, and when each that is not running wakes next: its next rotation, retry, end
    /// of grace or window opening, which is also what `STATUS=` names as next.
    private var entries = WakeQueue<Entry>()
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
            entries[rotator.name] = .waiting(rotator, request: [])
            entries.set(rotator.name, at: now)
        }
        notifier.resourcesChanged(ResourceSummary(count: rotators.count, failing: 0, next: nil))
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
        let asked: Request = emergency ? [.rotate, .emergency] : .rotate
        for name in names {
            switch entries[name] {
            case nil:
                unknown.append(name)
            case .waiting(let rotator, let request):
                entries[name] = .waiting(rotator, request: request.union(asked))
                entries.set(name, at: now)
            case .running(let rotator, let request, let then):
                // Woken again when its step ends.
                entries[name] = .running(rotator, request: request.union(asked), then: then)
            }
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
        for (name, entry) in entries.values where !names.contains(name) {
            switch entry {
            case .waiting:
                forget(name)
            case .running(let rotator, let request, _):
                entries[name] = .running(rotator, request: request, then: .remove)
                cancelSteps(of: rotator)
            }
        }
        for rotator in rotators {
            switch entries[rotator.name] {
            case .running(let current, let request, let then):
                if case .remove = then {
                    // Removed and named again: the new rotator resumes from the record when the old step ends.
                    entries[rotator.name] = .running(current, request: request, then: .replace(rotator))
                } else if current !== rotator {
                    entries[rotator.name] = .running(current, request: request, then: .replace(rotator))
                    cancelSteps(of: current)
                } else {
                    entries[rotator.name] = .running(current, request: request, then: .keep)
                }
            case .waiting(let current, _) where current === rotator:
                continue
            case .waiting, nil:
                entries[rotator.name] = .waiting(rotator, request: [])
                entries.set(rotator.name, at: now)
            }
        }
        publishSummary()
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
                while runningCount < concurrency, let name = entries.popFirst(dueBy: now) {
                    guard case .waiting(let rotator, let request) = entries[name] else { continue }
                    entries[name] = .running(rotator, request: [], then: .keep)
                    runningCount += 1
                    group.addTask {
                        let next = await rotator.run(rotateNow: request.contains(.rotate), emergency: request.contains(.emergency))
                        let failing = await rotator.record.consecutiveFailures > 0
                        await self.finished(name, next: next, failing: failing)
                    }
                }
                if let hangAfter, now >= hangAfter {
                    logger.critical("test fault switch: the scheduler loop hangs now")
                    while true { try? await clock.sleep(until: .distantFuture) }
                }
                notifier.heartbeat()
                notifyIfQuiet()
                // Only before a long quiet spell (watchdog wake-ups aside): trimming between waves of
                // work would just be undone.
                let nextWork = entries.first()?.at ?? .distantFuture
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

    private func finished(_ name: String, next: Date, failing isFailing: Bool) {
        runningCount -= 1
        workSinceIdle = true
        guard case .running(let rotator, let request, let then) = entries[name] else { return }
        switch then {
        case .remove:
            forget(name)
        case .replace(let replacement):
            entries[name] = .waiting(replacement, request: request)
            entries.set(name, at: clock.now())
        case .keep:
            entries[name] = .waiting(rotator, request: request)
            // An on-demand request that arrived while running wakes it again at once.
            entries.set(name, at: request.isEmpty ? next : clock.now())
        }
        if isFailing { failing.insert(name) } else { failing.remove(name) }
        publishSummary()
        onChange()
        wake()
    }

    /// Drops a resource the configuration no longer names.
    private func forget(_ name: String) {
        entries[name] = nil
        failing.remove(name)
    }

    /// Tells the notifier the resources' summary (it decides whether and when to send it).
    private func publishSummary() {
        let next = entries.first()
        notifier.resourcesChanged(
            ResourceSummary(count: entries.count, failing: failing.count, next: next.map { ResourceSummary.Next(name: $0.name, at: $0.at) })
        )
    }

    /// The rotator of `name`, for reading its live record.
    public func rotator(named name: String) -> ResourceRotator? { entries[name]?.rotator }

    /// The configured resources' names, sorted.
    public var names: [String] { entries.values.map(\.name).sorted() }

    private func anyDue(_ now: Date) -> Bool {
        entries.first().map { $0.at <= now } ?? false
    }

    private func nextWake() -> Date {
        var next = entries.first()?.at ?? .distantFuture
        if let maximumSleep { next = min(next, clock.now().addingTimeInterval(maximumSleep.seconds)) }
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
