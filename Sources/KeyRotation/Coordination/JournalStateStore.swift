/// The state store of a leader in a high-availability group: the records it found when it took
/// the group's journal over, and every save written through to the journal (fenced: refused once
/// a newer leader took over).
public struct JournalStateStore: StateStore {
    private let records: [String: ResourceState]
    private let journal: any GroupJournal

    /// The store of the leadership that took `journal` over and found `snapshot`.
    public init(snapshot: JournalSnapshot, journal: any GroupJournal) {
        self.records = snapshot.records
        self.journal = journal
    }

    /// The record found at takeover: a rotator loads its record once, when it is built.
    public func load(_ resource: String) -> ResourceState? { records[resource] }

    public func save(_ state: ResourceState, for resource: String) async throws {
        try await journal.save(state, for: resource)
    }
}
