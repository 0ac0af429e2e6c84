import Logging

/// A log handler whose level is a ``LogLevelSwitch``'s, read at each line, unless a logger sets
/// its own; everything else is `Inner`'s.
public struct SwitchedLevelLogHandler<Inner: LogHandler>: LogHandler {
    private var inner: Inner
    private let levelSwitch: LogLevelSwitch
    private var override: Logger.Level?

    /// Wraps `inner`, its level taken from `levelSwitch`.
    public init(_ inner: Inner, level levelSwitch: LogLevelSwitch) {
        self.inner = inner
        self.levelSwitch = levelSwitch
    }

    public var logLevel: Logger.Level {
        get { override ?? levelSwitch.current }
        set { override = newValue }
    }

    public var metadata: Logger.Metadata {
        get { inner.metadata }
        set { inner.metadata = newValue }
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { inner[metadataKey: key] }
        set { inner[metadataKey: key] = newValue }
    }

    public var metadataProvider: Logger.MetadataProvider? {
        get { inner.metadataProvider }
        set { inner.metadataProvider = newValue }
    }

    public func log(event: LogEvent) {
        inner.log(event: event)
    }
}
