import DequeModule
import Glibc

/// A fixed set of threads that run Swift concurrency jobs in the order they were enqueued.
///
/// Work is shared: every thread takes the next job from one queue, and an enqueue wakes a thread
/// only when one is idle. Idle threads block on a condition variable with no timeout, so an idle
/// pool costs no wake-ups at all (Dispatch's pool is watched by a once-a-second monitor).
final class JobPool: @unchecked Sendable {
    // @unchecked: every mutable field below is read and written only with `mutex` held.
    private let mutex = UnsafeMutablePointer<pthread_mutex_t>.allocate(capacity: 1)
    private let condition = UnsafeMutablePointer<pthread_cond_t>.allocate(capacity: 1)
    private var jobs = Deque<(job: UnownedJob, taskExecutor: UnownedTaskExecutor?)>()
    private var idleThreads = 0
    private let isolation: UnownedSerialExecutor
    private let name: String

    /// Starts `threads` threads named `name`, which run each job isolated to `isolation`: the
    /// generic executor for global jobs, the main actor's for main-actor jobs (with one thread,
    /// so that they run one at a time).
    init(threads: Int, name: String, isolation: UnownedSerialExecutor) {
        self.isolation = isolation
        self.name = name
        pthread_mutex_init(mutex, nil)
        pthread_cond_init(condition, nil)
        for _ in 0..<threads {
            var thread = pthread_t()
            let context = Unmanaged.passRetained(self).toOpaque()
            let created = pthread_create(
                &thread,
                nil,
                { context in
                    let pool = Unmanaged<JobPool>.fromOpaque(context!).takeRetainedValue()
                    pool.work()
                },
                context
            )
            precondition(created == 0, "cannot start a job thread: \(String(cString: strerror(created)))")
            pthread_detach(thread)
        }
    }

    /// Queues `job`; an idle thread, if there is one, takes it at once. A job of a task that prefers
    /// a task executor (`withTaskExecutorPreference`) runs on behalf of that executor.
    func enqueue(_ job: UnownedJob, taskExecutor: UnownedTaskExecutor? = nil) {
        pthread_mutex_lock(mutex)
        jobs.append((job, taskExecutor))
        let wake = idleThreads > 0
        pthread_mutex_unlock(mutex)
        if wake { pthread_cond_signal(condition) }
    }

    /// Each thread's loop; the pool lives as long as the process.
    private func work() -> Never {
        // The name `ps -L`, `top -H` and the tests see (the kernel keeps 15 bytes).
        let comm = open("/proc/thread-self/comm", O_WRONLY)
        if comm >= 0 {
            _ = name.utf8CString.withUnsafeBufferPointer { write(comm, $0.baseAddress, $0.count - 1) }
            close(comm)
        }
        pthread_mutex_lock(mutex)
        while true {
            if let (job, taskExecutor) = jobs.popFirst() {
                pthread_mutex_unlock(mutex)
                if let taskExecutor {
                    job.runSynchronously(isolatedTo: isolation, taskExecutor: taskExecutor)
                } else {
                    job.runSynchronously(on: isolation)
                }
                pthread_mutex_lock(mutex)
            } else {
                idleThreads += 1
                pthread_cond_wait(condition, mutex)
                idleThreads -= 1
            }
        }
    }
}
