import NIOCore
import NIOPosix

extension DaemonExecutor {
    /// Suspends for `duration` on an event loop's timer; throws `CancellationError` when the task is
    /// cancelled meanwhile.
    ///
    /// Use this instead of `Task.sleep`: in this toolchain a clock-based `Task.sleep` always goes to
    /// Dispatch's timer queue, bypassing the runtime's enqueue hooks, and its first use starts
    /// Dispatch's worker pool and with it the once-a-second pool monitor (see ``DaemonExecutor``).
    public static func sleep(for duration: Duration) async throws {
        try Task.checkCancellation()
        let loop = MultiThreadedEventLoopGroup.singleton.any()
        let scheduled = loop.scheduleTask(in: TimeAmount(duration)) {}
        do {
            try await withTaskCancellationHandler {
                try await scheduled.futureResult.get()
            } onCancel: {
                scheduled.cancel()
            }
        } catch EventLoopError.cancelled {
            throw CancellationError()
        }
    }
}
