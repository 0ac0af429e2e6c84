/// An instant on the clock that counts time since boot including suspend (`CLOCK_BOOTTIME`).
///
/// A leader measures how long its lease still holds on this clock: unlike the wall clock it never
/// steps, and unlike `CLOCK_MONOTONIC` it keeps counting while the host is suspended or the process
/// stopped, so a leader that wakes from either sees at once that its deadline has passed.
public struct BootInstant: Sendable, Comparable, Hashable, CustomStringConvertible {
    /// Nanoseconds since boot.
    public var nanoseconds: Int64

    /// The instant `nanoseconds` after boot.
    public init(nanoseconds: Int64) { self.nanoseconds = nanoseconds }

    /// The instant `seconds` after boot (tests and arithmetic).
    public init(seconds: Double) { self.nanoseconds = Int64(seconds * 1e9) }

    /// Seconds since boot, for logs.
    public var seconds: Double { Double(nanoseconds) / 1e9 }

    public var description: String { "boot+\(seconds)s" }

    public static func < (a: BootInstant, b: BootInstant) -> Bool { a.nanoseconds < b.nanoseconds }

    /// `instant` moved by `duration`.
    public static func + (instant: BootInstant, duration: Duration) -> BootInstant {
        BootInstant(nanoseconds: instant.nanoseconds + duration.nanoseconds)
    }

    /// `instant` moved back by `duration`.
    public static func - (instant: BootInstant, duration: Duration) -> BootInstant {
        BootInstant(nanoseconds: instant.nanoseconds - duration.nanoseconds)
    }

    /// The time from `b` to `a`.
    public static func - (a: BootInstant, b: BootInstant) -> Duration { .nanoseconds(a.nanoseconds - b.nanoseconds) }
}

extension Duration {
    /// The duration in whole nanoseconds (saturating far beyond any lease).
    var nanoseconds: Int64 {
        let (seconds, attoseconds) = components
        return seconds.multipliedReportingOverflow(by: 1_000_000_000).overflow
            ? (seconds < 0 ? .min : .max) : seconds * 1_000_000_000 + attoseconds / 1_000_000_000
    }
}
