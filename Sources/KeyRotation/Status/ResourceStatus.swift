import FoundationEssentials

/// What `keyrotd status` shows for one resource; built from its durable record, never holding a secret.
public struct ResourceStatus: Sendable, Codable, Equatable {
    /// The configured name.
    public var name: String
    /// The current step (`idle`, `grace (then regenerating primary)` …).
    public var step: String
    /// The published key (`primary` / `secondary`), or nil before adoption.
    public var published: String?
    /// The fingerprint of the published key.
    public var publishedFingerprint: String?
    /// When the last rotation completed.
    public var lastRotation: Date?
    /// When the resource is next worked on: the retry of a failed step, the end of grace, or the next rotation.
    public var nextDue: Date?
    /// Completed rotations.
    public var rotations: Int
    /// Failures since the last success.
    public var consecutiveFailures: Int
    /// The last error, if the resource is failing.
    public var lastError: String?
    /// When the failing step is retried.
    public var retryAt: Date?

    /// The status of `name` from its record (`nil`: never run).
    public init(name: String, record: ResourceState?) {
        self.name = name
        self.step = (record?.step.description ?? "not yet adopted") + (record?.windowOpensAt != nil ? ", waiting for the window" : "")
        let adopted = record.map { $0.step != .adopting } ?? false
        self.published = adopted ? record?.published.rawValue : nil
        self.publishedFingerprint = adopted ? record?.publishedKey?.value : nil
        self.lastRotation = record?.lastRotation
        if let retryAt = record?.retryAt {
            self.nextDue = retryAt
        } else if let opensAt = record?.windowOpensAt {
            self.nextDue = opensAt
        } else if case .grace(let until, _)? = record?.rotation?.phase {
            self.nextDue = until
        } else {
            self.nextDue = record?.nextDue
        }
        self.rotations = record?.rotations ?? 0
        self.consecutiveFailures = record?.consecutiveFailures ?? 0
        self.lastError = record?.lastError
        self.retryAt = record?.retryAt
    }

    /// `in 3d4h`, `5m ago`.
    public static func relative(_ date: Date, now: Date) -> String {
        let seconds = Int64(date.timeIntervalSince(now).rounded())
        if abs(seconds) < 1 { return "now" }
        let text = DurationFormat.format(.seconds(abs(seconds))).prefix(6)
        return seconds > 0 ? "in \(text)" : "\(text) ago"
    }
}
