import Logging

extension Logger {
    /// Logs `event` at its level, with `fields` and the event's name (from which the journal handler
    /// derives `MESSAGE_ID`).
    public func log(
        _ event: JournalEvent,
        _ message: @autoclosure () -> Logger.Message,
        _ fields: LogFields = [:],
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        log(event, message(), metadata: .fields(fields), file: file, function: function, line: line)
    }

    /// Logs `event` at its level, with `metadata` and the event's name.
    public func log(
        _ event: JournalEvent,
        _ message: @autoclosure () -> Logger.Message,
        metadata: Logger.Metadata,
        file: String = #fileID,
        function: String = #function,
        line: UInt = #line
    ) {
        var metadata = metadata
        metadata[.event] = .string(event.rawValue)
        log(level: event.level, message(), metadata: metadata, file: file, function: function, line: line)
    }
}
