import DaemonExecutor
import Foundation

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
    /// Creates the clock.
    public init() {}

    public func now() -> Date { Date() }

    public func sleep(until deadline: Date) async throws {
        // Sleep in slices of at most a minute so a wall-clock step (NTP, suspend) is noticed.
        while true {
            let remaining = deadline.timeIntervalSinceNow
            if remaining <= 0 { return }
            try await DaemonExecutor.sleep(for: .milliseconds(Int64(min(remaining, 60) * 1000) + 1))
        }
    }
}
