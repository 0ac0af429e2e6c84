/// Durable storage of per-resource state records.
public protocol StateStore: Sendable {
    /// The stored record of `resource`, or `nil` when there is none.
    func load(_ resource: String) throws -> ResourceState?
    /// Durably stores `state` for `resource` (it must survive a crash right after returning); a
    /// group's journal refuses with ``JournalFenced`` once a newer leader took it over.
    func save(_ state: ResourceState, for resource: String) async throws
}
