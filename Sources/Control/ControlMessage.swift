import KeyRotation

/// What `keyrotd rotate` and `keyrotd status` ask the running daemon, one JSON line.
public struct ControlRequest: Sendable, Codable, Equatable {
    /// The operations the socket offers.
    public enum Command: String, Sendable, Codable {
        /// Live state of every resource.
        case status
        /// Rotate the named resources now and report each step.
        case rotate
    }

    /// The operation.
    public var command: Command
    /// The resources to rotate (`rotate` only).
    public var names: [String]
    /// Regenerate both keys without grace (`rotate --emergency`).
    public var emergency: Bool
    /// Report until the rotation completes, through grace (`rotate --wait`).
    public var wait: Bool

    /// Creates a request.
    public init(command: Command, names: [String] = [], emergency: Bool = false, wait: Bool = false) {
        self.command = command
        self.names = names
        self.emergency = emergency
        self.wait = wait
    }
}

/// One JSON line the daemon answers with. A `rotate` gets a line per step of each resource and a
/// last line with `done`; a `status` gets one line with `resources`; a refusal one with `error`.
public struct ControlReply: Sendable, Codable, Equatable {
    /// The resource a step line is about.
    public var resource: String?
    /// The step it reached (`regenerating secondary`, `grace (then regenerating primary)` …).
    public var step: String?
    /// How its rotation ended: `rotated`, `failed`, `waiting` (in grace, without `wait`), `unknown`.
    public var outcome: String?
    /// For the operator: the published key and fingerprint, or the error.
    public var message: String?
    /// Live state (`status`).
    public var resources: [ResourceStatus]?
    /// The followers' live state (`status`), when the daemon has any.
    public var followers: [FollowerStatus]?
    /// The `STATUS=` summary (`status`).
    public var summary: String?
    /// This node's place in its high-availability group (`status`), when it is in one.
    public var group: GroupStatus?
    /// What the expiry watch last read of each `[[application]]` (`status`), when there are any.
    public var applications: [ApplicationExpiry]?
    /// The last line of a `rotate`.
    public var done: Bool?
    /// How many resources failed (`rotate`).
    public var failed: Int?
    /// Why the request was refused.
    public var error: String?

    /// Creates a reply; every field is optional.
    public init(
        resource: String? = nil,
        step: String? = nil,
        outcome: String? = nil,
        message: String? = nil,
        resources: [ResourceStatus]? = nil,
        followers: [FollowerStatus]? = nil,
        summary: String? = nil,
        group: GroupStatus? = nil,
        applications: [ApplicationExpiry]? = nil,
        done: Bool? = nil,
        failed: Int? = nil,
        error: String? = nil
    ) {
        self.resource = resource
        self.step = step
        self.outcome = outcome
        self.message = message
        self.resources = resources
        self.followers = followers
        self.summary = summary
        self.group = group
        self.applications = applications
        self.done = done
        self.failed = failed
        self.error = error
    }
}
