import FoundationEssentials

/// What the expiry watch last learned of one application, for `keyrotd status` and the metrics file.
public struct ApplicationExpiry: Sendable, Codable, Equatable {
    /// One credential: never its secret.
    public struct Credential: Sendable, Codable, Equatable {
        /// `password` or `certificate`.
        public var kind: String
        /// Graph's `keyId`.
        public var keyID: String
        /// Graph's `displayName`.
        public var displayName: String
        /// When it ends.
        public var end: Date

        /// Creates a credential's figures.
        public init(kind: String, keyID: String, displayName: String, end: Date) {
            self.kind = kind
            self.keyID = keyID
            self.displayName = displayName
            self.end = end
        }
    }

    /// The configured name.
    public var application: String
    /// Its credentials at the last successful read, soonest end first.
    public var credentials: [Credential]
    /// When the application was last read successfully.
    public var readAt: Date?
    /// Why the last read failed, when it did.
    public var error: String?

    /// Creates the figures.
    public init(application: String, credentials: [Credential] = [], readAt: Date? = nil, error: String? = nil) {
        self.application = application
        self.credentials = credentials
        self.readAt = readAt
        self.error = error
    }

    /// The credential that ends first.
    public var nearest: Credential? { credentials.first }

    /// One line for `keyrotd status`.
    public func text(now: Date) -> String {
        var line = "application \(application): "
        if let nearest {
            let remaining = nearest.end.timeIntervalSince(now)
            let when = remaining > 0 ? "ends in \(Self.coarse(remaining))" : "ENDED \(Self.coarse(-remaining)) ago"
            line += "nearest \(nearest.kind) \"\(nearest.displayName)\" \(when) (\(nearest.end.formatted(.iso8601)))"
            line += ", \(credentials.count) credential\(credentials.count == 1 ? "" : "s")"
        } else {
            line += readAt == nil ? "not read yet" : "no credentials"
        }
        if let error { line += "; last read failed: \(error)" }
        return line
    }

    /// Whole days beyond two days, whole hours beyond two hours, else whole minutes.
    private static func coarse(_ seconds: Double) -> String {
        let unit: Double = seconds >= 2 * 86_400 ? 86_400 : seconds >= 7200 ? 3600 : 60
        return DurationFormat.format(.seconds(Int64((seconds / unit).rounded(.down) * unit)))
    }
}
