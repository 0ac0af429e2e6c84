internal import CSystemd
import FoundationEssentials
import Glibc
import KeyRotation
import Synchronization

/// Tells systemd about the daemon's life through `sd_notify` (`READY=1`, `STATUS=`, `RELOADING=1`,
/// `STOPPING=1`, `ERRNO=`, `EXTEND_TIMEOUT_USEC=`). Without `NOTIFY_SOCKET` every call does nothing.
///
/// Heartbeats from the scheduler are recorded in ``beacon``; the ``Watchdog`` pings only while they
/// keep coming, so a hung scheduler gets the daemon killed.
public struct SystemdNotifier: DaemonNotifier {
    /// Where scheduler progress is recorded.
    public let beacon: ProgressBeacon
    /// The `STATUS=` line, composed from the scheduler's, the followers' and the reload's parts.
    public let statusLine: StatusLine

    /// Creates a notifier; `sleep` (the daemon's timer) holds back a `STATUS=` line that comes
    /// too soon after the last.
    public init(beacon: ProgressBeacon = ProgressBeacon(), sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.beacon = beacon
        self.statusLine = StatusLine(now: { Date() }, sleep: sleep) { line in
            _ = sd_notify(0, "STATUS=\(Self.clean(line))")
        }
    }

    /// Whether a service manager listens (`NOTIFY_SOCKET` is set).
    public static var isSupervised: Bool { getenv("NOTIFY_SOCKET") != nil }

    /// The daemon serves: `READY=1` with the status line as it is at this moment.
    public func ready() { send("READY=1\nSTATUS=\(Self.clean(statusLine.markSent()))") }

    /// A reload ended: `READY=1` with `status` in front of the line.
    public func ready(status: String) { send("READY=1\nSTATUS=\(Self.clean(status))") }

    /// A status before the daemon serves (loading state), outside the composed line.
    public func status(_ text: String) { send("STATUS=\(Self.clean(text))") }

    public func resourcesChanged(_ summary: ResourceSummary) { statusLine.update { $0.resources = summary } }

    public func heartbeat() { beacon.beat() }

    public func stopping() { send("STOPPING=1\nSTATUS=stopping") }

    /// A reload begins (systemd ≥ 253 wants `MONOTONIC_USEC=` with it).
    public func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        let usec = UInt64(now.tv_sec) * 1_000_000 + UInt64(now.tv_nsec) / 1000
        send("RELOADING=1\nMONOTONIC_USEC=\(usec)\nSTATUS=reloading configuration")
    }

    /// A fatal error: systemd shows `errno` as StatusErrno.
    public func failed(errno: Int32, status: String) { send("STATUS=\(Self.clean(status))\nERRNO=\(errno)") }

    /// Asks for more start-up or shutdown time.
    public func extendTimeout(_ duration: Duration) { send("EXTEND_TIMEOUT_USEC=\(max(0, duration.milliseconds) * 1000)") }

    /// Sends `WATCHDOG=1`.
    public func watchdogPing() { send("WATCHDOG=1") }

    private func send(_ text: String) {
        _ = sd_notify(0, text)
    }

    /// One line, bounded: a status must never carry a newline (it would start a new assignment).
    static func clean(_ text: String) -> String {
        String(text.map { $0.isNewline ? " " : $0 }.prefix(400))
    }
}

/// The instant of the scheduler's last sign of life, shared lock-free between the scheduler and the watchdog.
public final class ProgressBeacon: Sendable {
    private let lastBeat = Atomic<Int64>(ProgressBeacon.monotonicNanoseconds())

    /// Creates a beacon that counts as fresh now.
    public init() {}

    /// Records progress now.
    public func beat() { lastBeat.store(Self.monotonicNanoseconds(), ordering: .relaxed) }

    /// Time since the last beat.
    public var age: Duration { .nanoseconds(Self.monotonicNanoseconds() - lastBeat.load(ordering: .relaxed)) }

    /// CLOCK_MONOTONIC in nanoseconds.
    static func monotonicNanoseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        return Int64(now.tv_sec) * 1_000_000_000 + Int64(now.tv_nsec)
    }
}
