/// The rotation journal of a high-availability group: the records that decide what may be
/// regenerated, kept where every node can reach them and fenced so that only the current leader's
/// writes land. Blob Storage's is the first; nothing outside an implementation knows where it lives.
public protocol GroupJournal: Sendable {
    /// Takes the journal over for a new leadership, with the group's lease held as `leaseID`: the
    /// epoch goes up by one, and every record an older leader could still write — and one for
    /// each of `resources` that has none yet — is rewritten, so that leader's writes are refused
    /// from now on. Returns the records and the new epoch.
    func takeOver(leaseID: String, node: String, resources: [String]) async throws -> JournalSnapshot
    /// Writes `state` as `resource`'s record, durably, before the action it records. Throws
    /// ``JournalFenced`` when a newer leadership has taken the journal over.
    func save(_ state: ResourceState, for resource: String) async throws
    /// Notes in the journal that this leadership ended cleanly, so the next leader need not wait
    /// out the quiet period.
    func release(leaseID: String) async throws
}

/// What a new leader finds in the journal.
public struct JournalSnapshot: Sendable, Equatable {
    /// This leadership's epoch (the first is 1).
    public var epoch: Int
    /// The records by resource name (a resource with a placeholder only is absent).
    public var records: [String: ResourceState]
    /// Whether the previous leadership released the journal cleanly.
    public var releasedCleanly: Bool

    /// Creates a snapshot.
    public init(epoch: Int, records: [String: ResourceState], releasedCleanly: Bool) {
        self.epoch = epoch
        self.records = records
        self.releasedCleanly = releasedCleanly
    }
}

/// A journal write was refused because a newer leadership took the journal over: this node is no
/// longer the leader and must send nothing more.
public struct JournalFenced: CodedError, Sendable, CustomStringConvertible {
    /// `journal-fenced`.
    public var code: String { "journal-fenced" }
    /// The resource whose record was refused.
    public var resource: String
    /// What the journal's store said.
    public var cause: String

    /// Creates the error.
    public init(resource: String, cause: String) {
        self.resource = resource
        self.cause = cause
    }

    public var description: String {
        "the journal refused the record of '\(resource)': a newer leader took the group's journal over, so this node sends nothing more (\(cause))"
    }
}
