import FoundationEssentials

/// When the metrics file is written next: at once at start, a few seconds after a change (so a wave
/// of rotations is one write, not thousands), and every minute regardless, so the ages in it are
/// never more than a minute old.
public struct MetricsFileSchedule: Sendable, Equatable {
    /// The shortest time between two writes.
    public static let minimumInterval: TimeInterval = 5
    /// The longest time between two writes.
    public static let refreshInterval: TimeInterval = 60

    private enum State: Equatable {
        /// Nothing written yet.
        case starting
        /// Written at `at`; `changed` says whether figures changed since.
        case written(at: Date, changed: Bool)
    }

    private var state = State.starting

    /// A schedule before the first write.
    public init() {}

    /// The figures changed.
    public mutating func changed() {
        if case .written(let at, _) = state { state = .written(at: at, changed: true) }
    }

    /// The file was written (or the write failed) at `now`; the figures it holds are those read just before.
    public mutating func wrote(at now: Date) {
        state = .written(at: now, changed: false)
    }

    /// When the next write is due.
    public var nextWrite: Date {
        switch state {
        case .starting: .distantPast
        case .written(let at, let changed): at.addingTimeInterval(changed ? Self.minimumInterval : Self.refreshInterval)
        }
    }
}
