import FoundationEssentials

/// Wall-clock time and sleeping, injected so schedules and retries are tested without waiting.
///
/// Rotation times are wall-clock instants (they are persisted and survive restarts), so this is
/// not a monotonic `Clock`.
public protocol WallClock: Sendable {
    /// The current time.
    func now() -> Date
    /// Suspends until `deadline` or until the task is cancelled (then throws `CancellationError`).
    func sleep(until deadline: Date) async throws
}

/// The system's real-time clock.
public struct SystemWallClock: WallClock {
    private let sleepFor: @Sendable (Duration) async throws -> Void

    /// Creates the clock; `sleep` waits on a monotonic timer and throws `CancellationError` when
    /// the task is cancelled. The daemon passes its own timer (the executable's, which wakes no
    /// Dispatch pool), the same one every library module is given for its retries and timeouts.
    public init(sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.sleepFor = sleep
    }

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        // The timer is monotonic, so a step of the wall clock (NTP at boot, a restored VM) would go
        // unnoticed until it fires: sleeping in slices of at most an hour bounds how late that makes
        // a wake-up, at one wake-up an hour when idle. Safety never depends on it: every deadline is
        // checked against the wall clock when the machine wakes.
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return }
            try await sleepFor(.milliseconds(Int64(min(remaining, 3600) * 1000) + 1))
        }
    }
}
