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

    /// Sends swift-log output to `target` at `level`.
    static func bootstrap(level: String, target: Target = .stderr) {
        let parsed = Logger.Level(rawValue: level) ?? .info
        let journal = target == .journal || (target == .auto && JournalLogHandler.stderrIsJournal)
        LoggingSystem.bootstrap { label in
            if journal { return JournalLogHandler(identifier: "keyrotd", logLevel: parsed) }
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = parsed
            return handler
        }
    }
}
