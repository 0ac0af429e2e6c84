#include "CConcurrencyHooks.h"

// The runtime's hook variables (swift/Runtime/Concurrency.h). They are data symbols of the
// concurrency runtime, present whether it is linked statically or dynamically.
extern void *swift_task_enqueueGlobal_hook;
extern void *swift_task_enqueueGlobalWithDelay_hook;
extern void *swift_task_enqueueGlobalWithDeadline_hook;
extern void *swift_task_enqueueMainExecutor_hook;

// The runtime's clock reading, for the clock a deadline was given in (1 continuous, 2 suspending).
extern __attribute__((swiftcall)) void swift_get_time(long long *seconds, long long *nanoseconds, int clock);

static keyrotd_job_sink global_sink;
static keyrotd_delayed_job_sink delayed_sink;
static keyrotd_job_sink main_sink;

__attribute__((swiftcall)) static void enqueue_global(void *job, void *original) {
    (void)original;
    global_sink(job);
}

__attribute__((swiftcall)) static void enqueue_global_with_delay(unsigned long long delay, void *job,
                                                                 void *original) {
    (void)original;
    delayed_sink(delay, job);
}

// The tolerance (tsec, tnsec) is a permission to be late; an event loop's timer is exact, so it is unused.
__attribute__((swiftcall)) static void enqueue_global_with_deadline(long long sec, long long nsec, long long tsec,
                                                                    long long tnsec, int clock, void *job,
                                                                    void *original) {
    (void)tsec;
    (void)tnsec;
    (void)original;
    long long now_sec = 0, now_nsec = 0;
    swift_get_time(&now_sec, &now_nsec, clock);
    // Both readings are non-negative, so the difference cannot overflow. Past 9e9 s (285 years) the
    // nanoseconds would, and such a deadline means "never" anyway.
    long long seconds = sec - now_sec, nanoseconds = nsec - now_nsec;
    uint64_t delay;
    if (seconds < 0 || (seconds == 0 && nanoseconds <= 0)) {
        delay = 0;
    } else if (seconds >= 9000000000LL) {
        delay = UINT64_MAX;
    } else {
        delay = (uint64_t)(seconds * 1000000000LL + nanoseconds);
    }
    delayed_sink(delay, job);
}

__attribute__((swiftcall)) static void enqueue_main(void *job, void *original) {
    (void)original;
    main_sink(job);
}

void keyrotd_install_concurrency_hooks(keyrotd_job_sink global, keyrotd_delayed_job_sink delayed,
                                       keyrotd_job_sink main) {
    global_sink = global;
    delayed_sink = delayed;
    main_sink = main;
    swift_task_enqueueGlobal_hook = (void *)enqueue_global;
    swift_task_enqueueGlobalWithDelay_hook = (void *)enqueue_global_with_delay;
    swift_task_enqueueGlobalWithDeadline_hook = (void *)enqueue_global_with_deadline;
    swift_task_enqueueMainExecutor_hook = (void *)enqueue_main;
}
