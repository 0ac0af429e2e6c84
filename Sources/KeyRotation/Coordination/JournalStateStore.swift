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

    /// The store of a leadership that took `journal` over and found `snapshot`, after moving into
    /// the journal the records `local` holds for those of `resources` the journal has never seen
    /// (a single host joining a group, or a node that rotated a resource before it was grouped):
    /// their rotations go on from where that host left them instead of starting afresh. A
    /// resource the journal knows keeps the journal's record whatever `local` says. Returns the
    /// store and the names moved; `local` is only read.
    ///
    /// Throws when a local record cannot be read (the file is named), so that nothing is adopted
    /// over a rotation that may be half done, or when the journal refuses the write.
    public static func takingOver(
        snapshot: JournalSnapshot,
        journal: any GroupJournal,
        local: any StateStore,
        resources: [String]
    ) async throws -> (store: JournalStateStore, moved: [String]) {
        var snapshot = snapshot
        var moved: [String] = []
        for name in resources where snapshot.records[name] == nil {
            guard let record = try local.load(name) else { continue }
            try await journal.save(record, for: name)
            snapshot.records[name] = record
            moved.append(name)
        }
        return (JournalStateStore(snapshot: snapshot, journal: journal), moved)
    }

    /// The record found at takeover: a rotator loads its record once, when it is built.
    public func load(_ resource: String) -> ResourceState? { records[resource] }

    public func save(_ state: ResourceState, for resource: String) async throws {
        try await journal.save(state, for: resource)
    }
}
