internal import CConcurrencyHooks
import Dispatch
import Glibc
import NIOCore
import NIOPosix

/// Runs Swift concurrency on keyrotd's own threads instead of Dispatch's worker pool.
///
/// This is the one place that explains why this exists and what it costs.
///
/// **Why.** Once Dispatch has started a worker for its (non-overcommit) global queues, it arms a
/// pool monitor that wakes the process every second for as long as it lives, and Swift
/// concurrency starts such a worker with its first task. A daemon that sleeps for days between
/// rotations should wake only for its own timers: with this executor an idle keyrotd has no
/// context switch in a minute (docs/performance.md, "Benchmark"); on Dispatch it has about 60.
///
/// **How.** Global jobs go to a ``JobPool`` with a thread per core (as Dispatch's cooperative pool
/// had); main-actor jobs to a pool of one thread. Delayed jobs wait on a timer of NIO's singleton
/// event loops, which serve the sockets and sleep in `epoll_wait` until something is due.
/// Signals come through ``SignalPipe``, not Dispatch sources. Dispatch only parks the main thread,
/// and starts no thread of its own. A clock-based `Task.sleep` bypasses the runtime's enqueue
/// hooks in this toolchain and goes to Dispatch: daemon code sleeps with ``sleep(for:)``.
///
/// **What it costs.** It sets the concurrency runtime's `swift_task_enqueue*_hook` variables and
/// builds the generic executor reference by hand: runtime internals with no stability promise,
/// the way swift-nio's `unsafeTryInstallSingletonPosixEventLoopGroupAsConcurrencyGlobalExecutor`
/// uses them. So it is compiled in only for the compilers it was verified with
/// (``hooksVerified``); with any other compiler, or with `KEYROTD_EXECUTOR=default` in the
/// environment (to rule the executor out when something looks wrong), keyrotd runs on the default
/// executor and pays one wake-up a second when idle, nothing else. Besides the runtime hooks it
/// costs `cores + 1` threads.
public enum DaemonExecutor {
    /// Where Swift concurrency runs.
    public enum Mode: String, Sendable {
        /// keyrotd's own threads (see ``DaemonExecutor``).
        case ownThreads = "own-threads"
        /// The runtime's default executor (Dispatch's pool), the fallback.
        case defaultExecutor = "default"
    }

    /// Whether the runtime hooks were verified with this compiler: Swift 6.3 (6.3.1 on Linux). A
    /// newer toolchain may change the hooks' signatures or the executor layout; it gets the default
    /// executor until someone checks the hooks against its runtime and widens this range.
    public static let hooksVerified: Bool = {
        #if compiler(>=6.3) && compiler(<6.4)
            return true
        #else
            return false
        #endif
    }()

    /// The mode `run` uses for `environment`: the own threads where verified, unless
    /// `KEYROTD_EXECUTOR=default` asks for the fallback.
    public static func mode(environment: [String: String]) -> Mode {
        guard hooksVerified, environment["KEYROTD_EXECUTOR"] != Mode.defaultExecutor.rawValue else { return .defaultExecutor }
        return .ownThreads
    }

    /// Installs the executor (when ``mode(environment:)`` allows it), runs `body` as the first
    /// task, exits with status 0 when it returns, and parks the main thread meanwhile. Never returns.
    ///
    /// Must be called from the main thread before any task exists: a task that starts on Dispatch
    /// has already armed the monitor.
    public static func run(_ body: @escaping @Sendable () async -> Void) -> Never {
        if mode(environment: currentEnvironment()) == .ownThreads {
            installHooks()
            ownThreads = true
        }
        Task.detached {
            await preferringOwnThreads { await body() }
            exit(0)
        }
        dispatchMain()
    }

    /// Set once by `run`, before the first task exists.
    nonisolated(unsafe) private static var ownThreads = false

    /// Runs `body` with the job threads as its task executor when they are in use, so that the
    /// `Task.sleep`s of libraries in it stay off Dispatch (see ``PoolTaskExecutor``). `run` gives
    /// this to the whole task tree; an unstructured `Task {}` does not inherit it, so code that
    /// calls such a library from one (a hook run by a rotation) asks for it again.
    public static func preferringOwnThreads<T: Sendable>(_ body: () async throws -> T) async rethrows -> T {
        try await withTaskExecutorPreference(taskExecutor) { try await body() }
    }

    /// The job threads' task executor when they are in use, else `nil` (no preference): for the
    /// libraries that run a library's `Task.sleep`s under ``preferringOwnThreads(_:)``'s
    /// preference without depending on this module (the hook runner).
    public static var taskExecutor: (any TaskExecutor)? {
        #if compiler(>=6.3) && compiler(<6.4)
            if ownThreads { return poolTaskExecutor }
        #endif
        return nil
    }

    private static func installHooks() {
        #if compiler(>=6.3) && compiler(<6.4)
            keyrotd_install_concurrency_hooks(
                { job in DaemonExecutor.enqueue(job) },
                { delay, job in DaemonExecutor.enqueue(job, after: delay) },
                { job in DaemonExecutor.enqueueOnMain(job) }
            )
        #endif
    }

    /// The environment, read before Foundation is touched (`environ` is all `run` may rely on).
    private static func currentEnvironment() -> [String: String] {
        var result: [String: String] = [:]
        var entry = environ
        while let pointer = entry.pointee {
            let text = String(cString: pointer)
            if let equals = text.firstIndex(of: "=") { result[String(text[..<equals])] = String(text[text.index(after: equals)...]) }
            entry += 1
        }
        return result
    }

    /// The generic executor (`SerialExecutorRef::generic()`, both words zero), which has no public
    /// initializer: a job enqueued globally must run isolated to nothing, as Dispatch runs it.
    private static let generic: UnownedSerialExecutor = {
        precondition(MemoryLayout<UnownedSerialExecutor>.size == 2 * MemoryLayout<Int>.size)
        return unsafeBitCast((0, 0) as (Int, Int), to: UnownedSerialExecutor.self)
    }()

    private static let global = JobPool(threads: System.coreCount, name: "keyrotd-jobs", isolation: generic)

    #if compiler(>=6.3) && compiler(<6.4)
        /// The daemon's task tree prefers this, so that libraries' `Task.sleep` stays off Dispatch.
        private static let poolTaskExecutor = PoolTaskExecutor(pool: global)
    #endif

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
