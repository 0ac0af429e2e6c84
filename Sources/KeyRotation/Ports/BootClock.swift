import Glibc

/// The clock a leader measures its lease on: time since boot, suspend included
/// (`CLOCK_BOOTTIME`), injected so the election is tested without waiting.
public protocol BootClock: Sendable {
    /// The current instant.
    func now() -> BootInstant
    /// Suspends until `deadline` or until the task is cancelled (then throws `CancellationError`).
    func sleep(until deadline: BootInstant) async throws
}

/// The system's `CLOCK_BOOTTIME`.
public struct SystemBootClock: BootClock {
    private let sleepFor: @Sendable (Duration) async throws -> Void

    /// Creates the clock; `sleep` is the daemon's timer. It does not count suspend, so a sleep
    /// across one ends late: the caller reads ``now()`` when it wakes, and a leader whose trust
    /// ran out meanwhile steps down before anything else.
    public init(sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.sleepFor = sleep
    }

    public func now() -> BootInstant {
        var time = timespec()
        clock_gettime(CLOCK_BOOTTIME, &time)
        return BootInstant(nanoseconds: Int64(time.tv_sec) * 1_000_000_000 + Int64(time.tv_nsec))
    }

    public func sleep(until deadline: BootInstant) async throws {
        let remaining = deadline - now()
        if remaining > .zero { try await sleepFor(remaining) }
    }
}
