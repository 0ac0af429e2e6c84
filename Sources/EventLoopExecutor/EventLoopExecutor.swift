internal import CConcurrencyHooks
import Dispatch
import Glibc
import NIOCore
import NIOPosix

/// Runs Swift concurrency on NIO event loops instead of Dispatch's worker pool.
///
/// Why: once Dispatch has started a worker for its (non-overcommit) global queues, it arms a
/// pool monitor that wakes the process every second for as long as it lives. A daemon that
/// sleeps for days between rotations should wake only for its own timers. An event loop sleeps
/// in `epoll_wait` until one of its timers or a job needs it.
///
/// The jobs get loops of their own (as many as cores, like Dispatch's cooperative pool), apart
/// from NIO's singleton loops that serve the sockets. Dispatch still serves the signal sources
/// (on its overcommit queues, which do not arm the monitor) and parks the main thread.
///
/// A clock-based `Task.sleep` bypasses the runtime's enqueue hooks in this toolchain and goes
/// to Dispatch: daemon code sleeps with ``sleep(for:)``.
public enum EventLoopExecutor {
    /// Installs the executor, runs `body` as the first task, exits with status 0 when it returns,
    /// and parks the main thread meanwhile. Never returns.
    ///
    /// Must be called from the main thread before any task exists: a task that starts on Dispatch
    /// has already armed the monitor.
    public static func run(_ body: @escaping @Sendable () async -> Void) -> Never {
        keyrotd_install_concurrency_hooks(
            { job in EventLoopExecutor.enqueue(job) },
            { delay, job in EventLoopExecutor.enqueue(job, after: delay) },
            { job in EventLoopExecutor.enqueueOnMain(job) }
        )
        Task.detached {
            await body()
            exit(0)
        }
        dispatchMain()
    }

    /// The loops that run jobs, apart from the socket loops so that busy tasks never delay I/O.
    private static let loops = MultiThreadedEventLoopGroup(numberOfThreads: System.coreCount)

    /// The loop that stands in for the main thread: main-actor jobs must run one at a time, in order.
    private static let mainLoop = loops.next()

    /// The generic executor (`SerialExecutorRef::generic()`, both words zero), which has no public
    /// initializer: a job enqueued globally must run isolated to nothing, as Dispatch runs it.
    /// Claiming an event loop's serial executor instead makes every hop out of it an enqueue.
    private static let generic: UnownedSerialExecutor = {
        precondition(MemoryLayout<UnownedSerialExecutor>.size == 2 * MemoryLayout<Int>.size)
        return unsafeBitCast((0, 0) as (Int, Int), to: UnownedSerialExecutor.self)
    }()

    private static func run(_ job: UnownedJob, on loop: any EventLoop) {
        loop.execute { job.runSynchronously(on: generic) }
    }

    private static func enqueue(_ job: UnsafeMutableRawPointer) {
        run(unsafeBitCast(job, to: UnownedJob.self), on: loops.next())
    }

    private static func enqueue(_ job: UnsafeMutableRawPointer, after nanoseconds: UInt64) {
        let job = unsafeBitCast(job, to: UnownedJob.self)
        // NIO saturates a deadline past its range at `.distantFuture`.
        loops.next().scheduleTask(in: .nanoseconds(Int64(clamping: nanoseconds))) {
            job.runSynchronously(on: generic)
        }
    }

    private static func enqueueOnMain(_ job: UnsafeMutableRawPointer) {
        let job = unsafeBitCast(job, to: UnownedJob.self)
        mainLoop.execute { job.runSynchronously(on: MainActor.sharedUnownedExecutor) }
    }
}
