internal import CConcurrencyHooks
import Dispatch
import Glibc
import NIOCore
import NIOPosix

/// Runs Swift concurrency on keyrotd's own threads instead of Dispatch's worker pool.
///
/// Why: once Dispatch has started a worker for its (non-overcommit) global queues, it arms a
/// pool monitor that wakes the process every second for as long as it lives. A daemon that
/// sleeps for days between rotations should wake only for its own timers.
///
/// Global jobs go to a ``JobPool`` with a thread per core (as Dispatch's cooperative pool had);
/// main-actor jobs to a pool of one thread. Delayed jobs wait on a timer of NIO's singleton
/// event loops, which serve the sockets and sleep in `epoll_wait` until something is due.
/// Dispatch still serves the signal sources (on its overcommit queues, which do not arm the
/// monitor) and parks the main thread.
///
/// A clock-based `Task.sleep` bypasses the runtime's enqueue hooks in this toolchain and goes
/// to Dispatch: daemon code sleeps with ``sleep(for:)``.
public enum DaemonExecutor {
    /// Installs the executor, runs `body` as the first task, exits with status 0 when it returns,
    /// and parks the main thread meanwhile. Never returns.
    ///
    /// Must be called from the main thread before any task exists: a task that starts on Dispatch
    /// has already armed the monitor.
    public static func run(_ body: @escaping @Sendable () async -> Void) -> Never {
        keyrotd_install_concurrency_hooks(
            { job in DaemonExecutor.enqueue(job) },
            { delay, job in DaemonExecutor.enqueue(job, after: delay) },
            { job in DaemonExecutor.enqueueOnMain(job) }
        )
        Task.detached {
            await body()
            exit(0)
        }
        dispatchMain()
    }

    /// The generic executor (`SerialExecutorRef::generic()`, both words zero), which has no public
    /// initializer: a job enqueued globally must run isolated to nothing, as Dispatch runs it.
    private static let generic: UnownedSerialExecutor = {
        precondition(MemoryLayout<UnownedSerialExecutor>.size == 2 * MemoryLayout<Int>.size)
        return unsafeBitCast((0, 0) as (Int, Int), to: UnownedSerialExecutor.self)
    }()

    private static let global = JobPool(threads: System.coreCount, name: "keyrotd-jobs", isolation: generic)

    /// One thread, because main-actor jobs must run one at a time, in order.
    private static let main = JobPool(threads: 1, name: "keyrotd-main", isolation: MainActor.sharedUnownedExecutor)

    private static func enqueue(_ job: UnsafeMutableRawPointer) {
        global.enqueue(unsafeBitCast(job, to: UnownedJob.self))
    }

    private static func enqueue(_ job: UnsafeMutableRawPointer, after nanoseconds: UInt64) {
        let job = unsafeBitCast(job, to: UnownedJob.self)
        // NIO saturates a deadline past its range at `.distantFuture`.
        MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: .nanoseconds(Int64(clamping: nanoseconds))) {
            global.enqueue(job)
        }
    }

    private static func enqueueOnMain(_ job: UnsafeMutableRawPointer) {
        main.enqueue(unsafeBitCast(job, to: UnownedJob.self))
    }
}
