import FoundationEssentials
import KeyRotation
import Synchronization

/// The one line `systemctl status` shows (`STATUS=`): a lasting note (a rejected reload), the
/// resources' summary and the followers', composed here and sent at most once per ``interval`` so
/// thousands of finishing steps do not flood the service manager (`sd_notify` blocks when its socket
/// is full). Facts that change within the interval go out together when it ends.
public final class StatusLine: Sendable {
    /// What the line is made of.
    public struct Parts: Sendable, Equatable {
        /// A remark that stays at the front until cleared (a rejected reload must stay visible, not
        /// vanish at the next rotation).
        public var note: String?
        /// The resources' summary; `nil` before the scheduler reported.
        public var resources: ResourceSummary?
        /// The followers' summary (`2 followers current`), if this host follows any.
        public var followers: String?
        /// This node's role in its high-availability group (`leader of … (epoch 3)`), if it is in one.
        public var group: String?
    }

    private struct State {
        var parts = Parts()
        /// What the last line sent described.
        var sent: Parts?
        var sentAt: Date?
        /// A send waits for the interval to end.
        var deferred = false

        /// The parts, counted as sent at `now`.
        mutating func markSent(at now: Date) -> Parts {
            sent = parts
            sentAt = now
            return parts
        }
    }

    private enum Next {
        case send(String)
        case sendAfter(Duration)
        case nothing
    }

    private let state = Mutex(State())
    /// The least time between two lines.
    public let interval: Duration
    private let now: @Sendable () -> Date
    private let sleep: @Sendable (Duration) async throws -> Void
    private let send: @Sendable (String) -> Void

    /// Creates the line; `send` delivers a composed line, `sleep` waits out the rest of an interval.
    public init(
        interval: Duration = .seconds(1),
        now: @escaping @Sendable () -> Date,
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        send: @escaping @Sendable (String) -> Void
    ) {
        self.interval = interval
        self.now = now
        self.sleep = sleep
        self.send = send
    }

    /// The line as it is now.
    public var text: String { compose(state.withLock { $0.parts }) }

    /// The line as it is now, counted as sent (`READY=1` carries it).
    public func markSent() -> String {
        let now = self.now()
        return compose(state.withLock { $0.markSent(at: now) })
    }

    /// Changes the parts; the line goes out at once, or when the interval since the last one ends.
    public func update(_ change: (inout Parts) -> Void) {
        let now = self.now()
        let next = state.withLock { state -> Next in
            change(&state.parts)
            guard state.parts != state.sent, !state.deferred else { return .nothing }
            if let sentAt = state.sentAt, now.timeIntervalSince(sentAt) < interval.seconds {
                state.deferred = true
                return .sendAfter(.seconds(sentAt.timeIntervalSince(now)) + interval)
            }
            return .send(compose(state.markSent(at: now)))
        }
        switch next {
        case .send(let line):
            send(line)
        case .sendAfter(let delay):
            Task {
                try? await sleep(delay)
                self.flush()
            }
        case .nothing:
            break
        }
    }

    /// Sends what changed while the interval ran (its end has come, whatever the clock says).
    private func flush() {
        let now = self.now()
        let parts = state.withLock { state -> Parts? in
            state.deferred = false
            return state.parts != state.sent ? state.markSent(at: now) : nil
        }
        if let parts { send(compose(parts)) }
    }

    private func compose(_ parts: Parts) -> String {
        let prefix = (parts.note.map { $0 + "; " } ?? "") + (parts.group.map { $0 + "; " } ?? "")
        let resources = parts.resources ?? ResourceSummary(count: 0, failing: 0, next: nil)
        // A host that only follows has no resources to speak of.
        if resources.count == 0, let followers = parts.followers { return prefix + followers }
        return prefix + resources.text(now: now()) + (parts.followers.map { "; " + $0 } ?? "")
    }
}
