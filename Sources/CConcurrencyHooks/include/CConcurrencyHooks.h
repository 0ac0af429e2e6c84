#ifndef KEYROTD_CONCURRENCY_HOOKS_H
#define KEYROTD_CONCURRENCY_HOOKS_H

#include <stdint.h>

/// Receives a job that is ready to run: a Swift `UnownedJob`, passed as a pointer.
typedef void (*keyrotd_job_sink)(void *_Nonnull job);

/// Receives a job that is to run once `delay_nanoseconds` have passed.
typedef void (*keyrotd_delayed_job_sink)(uint64_t delay_nanoseconds, void *_Nonnull job);

/// Routes the Swift concurrency runtime's global enqueues (ready, after a delay, at a deadline)
/// and its main-executor enqueues to the given C functions, through the runtime's
/// `swift_task_enqueue*_hook` variables.
///
/// The hooks have the Swift calling convention, which Swift code cannot declare for a
/// C function pointer; the trampolines here have it and forward with the C convention.
/// Call once, before the first task is created, from the main thread.
void keyrotd_install_concurrency_hooks(keyrotd_job_sink _Nonnull global, keyrotd_delayed_job_sink _Nonnull delayed,
                                       keyrotd_job_sink _Nonnull main);

#endif
