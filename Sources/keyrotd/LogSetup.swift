import KeyRotation
import Logging
import Systemd

/// Logging set-up shared by the commands.
enum LogSetup {
    /// Where log lines go.
    enum Target: String, CaseIterable {
        /// The journal when standard error is connected to it (a systemd service), else standard error.
        case auto
        /// Always the journal (falls back to standard error per line if journald refuses).
        case journal
        /// Always standard error.
        case stderr
    }

    /// The level every handler logs at; a reload of `log_level` sets it.
    static let level = LogLevelSwitch(DaemonSettings.Defaults.logLevel)

    /// Sends swift-log output to `target`, at `initial` until ``level`` is set again.
    static func bootstrap(level initial: Logger.Level, target: Target = .stderr) {
        level.set(initial)
        let journal = target == .journal || (target == .auto && JournalLogHandler.stderrIsJournal)
        LoggingSystem.bootstrap { label in
            if journal { return SwitchedLevelLogHandler(JournalLogHandler(identifier: "keyrotd"), level: level) }
            return SwitchedLevelLogHandler(StreamLogHandler.standardError(label: label), level: level)
        }
    }
}
