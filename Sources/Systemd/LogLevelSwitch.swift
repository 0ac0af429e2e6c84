import Logging
import Synchronization

/// The daemon's lowest logged level, which a reload changes while every logger made at start keeps
/// logging: handlers made by ``SwitchedLevelLogHandler`` read it at each line.
public final class LogLevelSwitch: Sendable {
    private let level: Atomic<UInt8>

    /// Creates the switch at `level`.
    public init(_ level: Logger.Level) {
        self.level = Atomic(Self.code(level))
    }

    /// The level in force.
    public var current: Logger.Level {
        let code = level.load(ordering: .relaxed)
        return Logger.Level.allCases.first { Self.code($0) == code } ?? .info
    }

    /// Sets the level for every handler reading this switch.
    public func set(_ next: Logger.Level) {
        level.store(Self.code(next), ordering: .relaxed)
    }

    private static func code(_ level: Logger.Level) -> UInt8 {
        UInt8(Logger.Level.allCases.firstIndex(of: level) ?? 2)
    }
}
