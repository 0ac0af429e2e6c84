internal import CSystemd
import FoundationEssentials
import Glibc
import KeyRotation
import Logging
import SystemPackage

/// A swift-log handler that writes structured entries to journald with `sd_journal_sendv`:
/// `MESSAGE`, `PRIORITY` (from the level), `SYSLOG_IDENTIFIER`, `CODE_FILE`/`CODE_LINE`/`CODE_FUNC`,
/// every metadata key as an upper-case field (`keyrotd_resource` → `KEYROTD_RESOURCE`), and the
/// `MESSAGE_ID` of the event named by `keyrotd_event`. If journald refuses an entry, the line goes to
/// standard error instead, so nothing is lost.
public struct JournalLogHandler: LogHandler {
    /// The `SYSLOG_IDENTIFIER`.
    public let identifier: String
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]

    /// Creates a handler.
    public init(identifier: String = "keyrotd", logLevel: Logger.Level = .info) {
        self.identifier = identifier
        self.logLevel = logLevel
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    /// Whether standard error is connected to the journal (systemd sets `JOURNAL_STREAM` to its
    /// device and inode), which is how a service knows it should log natively.
    public static var stderrIsJournal: Bool {
        guard let stream = getenv("JOURNAL_STREAM").map({ String(cString: $0) }) else { return false }
        var info = stat()
        guard fstat(2, &info) == 0 else { return false }
        return stream == "\(info.st_dev):\(info.st_ino)"
    }

    public func log(event: LogEvent) {
        var all = metadata
        if let extra = event.metadata { all.merge(extra) { $1 } }
        var fields = [
            "MESSAGE=\(event.message)",
            "PRIORITY=\(Self.priority(event.level))",
            "SYSLOG_IDENTIFIER=\(identifier)",
            "CODE_FILE=\(event.file)",
            "CODE_LINE=\(event.line)",
            "CODE_FUNC=\(event.function)",
            "KEYROTD_SOURCE=\(event.source)",
        ]
        for (key, value) in all {
            fields.append("\(Self.fieldName(key))=\(value)")
        }
        if case .string(let name)? = all[.event], let id = JournalEvent(rawValue: name)?.messageID {
            fields.append("MESSAGE_ID=\(id)")
        }
        if Self.send(fields) < 0 {
            let line = "\(event.level) \(identifier): \(event.message) \(all.map { "\($0.key)=\($0.value)" }.sorted().joined(separator: " "))\n"
            _ = try? FileDescriptor.standardError.writeAll(line.utf8)
        }
    }

    /// syslog priorities: 7 debug … 2 critical.
    static func priority(_ level: Logger.Level) -> Int {
        switch level {
        case .trace, .debug: return 7
        case .info: return 6
        case .notice: return 5
        case .warning: return 4
        case .error: return 3
        case .critical: return 2
        }
    }

    /// A journal field name: upper case letters, digits and `_`, not starting with `_` or a digit.
    static func fieldName(_ key: String) -> String {
        var name = String(key.uppercased().map { ($0.isASCII && ($0.isLetter || $0.isNumber)) ? $0 : "_" })
        while name.hasPrefix("_") { name.removeFirst() }
        if name.first?.isNumber ?? true { name = "KEYROTD_" + name }
        return name
    }

    private static func send(_ fields: [String]) -> Int32 {
        let strings = fields.map { strdup($0) }
        defer { strings.forEach { free($0) } }
        var vectors = strings.map { iovec(iov_base: UnsafeMutableRawPointer($0), iov_len: strlen($0!)) }
        return vectors.withUnsafeMutableBufferPointer { sd_journal_sendv($0.baseAddress, Int32($0.count)) }
    }
}
