#if compiler(>=6.3) && compiler(<6.4)
    @_spi(ExperimentalScheduling) import _Concurrency
    import NIOCore
    import NIOPosix

    /// keyrotd's threads as a task executor that also schedules: the preference ``DaemonExecutor/run(_:)``
    /// gives the daemon's task tree.
    ///
    /// In Swift 6.3 `Task.sleep` (in both its forms) does not go through the runtime's enqueue hooks: it
    /// asks the current task's executor for a `SchedulingExecutor` and, without a preference, takes
    /// Dispatch's global executor, whose timers start Dispatch's manager thread and pool monitor. Libraries
    /// sleep so (swift-subprocess polls for cancellation once a second while a hook runs); under this
    /// preference their sleeps wait on an event loop's timer and resume on the job threads, as
    /// ``DaemonExecutor/sleep(for:)`` does. Only structured child tasks inherit a preference; an
    /// unstructured `Task {}` does not, so daemon code still sleeps with ``DaemonExecutor/sleep(for:)``.
    ///
    /// `SchedulingExecutor` is the standard library's experimental SPI (`ExperimentalScheduling`),
    /// compiled in only with the hooks (``DaemonExecutor/hooksVerified``).
    final class PoolTaskExecutor: TaskExecutor, SchedulingExecutor, Sendable {
        private let pool: JobPool

        init(pool: JobPool) {
            self.pool = pool
        }

        func enqueue(_ job: consuming ExecutorJob) {
            pool.enqueue(UnownedJob(job), taskExecutor: asUnownedTaskExecutor())
        }

        func enqueue<C: Clock>(_ job: consuming ExecutorJob, after delay: C.Duration, tolerance: C.Duration?, clock: C) {
            schedule(UnownedJob(job), in: delay)
        }

        func enqueue<C: Clock>(_ job: consuming ExecutorJob, at instant: C.Instant, tolerance: C.Duration?, clock: C) {
            schedule(UnownedJob(job), in: clock.now.duration(to: instant))
        }

        /// Both standard clocks measure in `Duration`; a clock that does not is run at once, as a
        /// deadline already past would be.
        private func schedule(_ job: UnownedJob, in delay: some DurationProtocol) {
            let taskExecutor = asUnownedTaskExecutor()
            guard let delay = delay as? Duration, delay > .zero else {
                pool.enqueue(job, taskExecutor: taskExecutor)
                return
            }
            MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: TimeAmount(delay)) { [pool] in
                pool.enqueue(job, taskExecutor: taskExecutor)
            }
        }
    }
#endif
