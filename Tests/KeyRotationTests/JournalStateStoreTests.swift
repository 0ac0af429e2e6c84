import Foundation
import Testing

@testable import KeyRotation

/// A leader's store: what it found in the journal, saves written through, and the records a
/// single host brings into a group.
struct JournalStateStoreTests {
    static func record(_ name: String, rotations: Int) -> ResourceState {
        var record = ResourceState(resourceID: "/subscriptions/s/resourceGroups/g/providers/P/t/\(name)", adoptedAt: Date(timeIntervalSince1970: 0))
        record.rotations = rotations
        return record
    }

    /// A host that rotated on its own joins a group: the journal takes the records it never had
    /// from the local state directory, keeps its own where it has one, and leaves the rest to adoption.
    @Test func theFirstLeaderMovesTheLocalRecordsTheJournalLacks() async throws {
        let local = MemoryStore()
        try local.save(Self.record("single", rotations: 7), for: "single")
        try local.save(Self.record("known", rotations: 1), for: "known")
        let journal = FakeJournal(saved: ["known": Self.record("known", rotations: 40)])
        let snapshot = await journal.takeOver(leaseID: "l", node: "a", resources: ["single", "known", "new"])
        let (store, moved) = try await JournalStateStore.takingOver(
            snapshot: snapshot,
            journal: journal,
            local: local,
            resources: ["single", "known", "new"]
        )
        #expect(moved == ["single"])
        #expect(store.load("single")?.rotations == 7)
        #expect(await journal.saved["single"]?.rotations == 7, "written to the journal before any rotator runs")
        #expect(store.load("known")?.rotations == 40, "the journal's record wins over a stale local one")
        #expect(store.load("new") == nil)
        // The next leader finds it in the journal and takes nothing more.
        let (_, again) = try await JournalStateStore.takingOver(
            snapshot: await journal.takeOver(leaseID: "m", node: "b", resources: ["single"]),
            journal: journal,
            local: MemoryStore(),
            resources: ["single"]
        )
        #expect(again.isEmpty)
    }

    /// A local record that cannot be read stops the takeover (a half-done rotation must not be
    /// adopted over), and so does a journal that refuses the write.
    @Test func anUnreadableLocalRecordOrAFencedJournalStopsTheTakeover() async throws {
        struct Unreadable: StateStore {
            struct Broken: Error {}
            func load(_ resource: String) throws -> ResourceState? { throw Broken() }
            func save(_ state: ResourceState, for resource: String) {}
        }
        let journal = FakeJournal()
        let snapshot = await journal.takeOver(leaseID: "l", node: "a", resources: ["r"])
        await #expect(throws: Unreadable.Broken.self) {
            _ = try await JournalStateStore.takingOver(snapshot: snapshot, journal: journal, local: Unreadable(), resources: ["r"])
        }
        #expect(await journal.saved.isEmpty)
        let local = MemoryStore()
        try local.save(Self.record("r", rotations: 2), for: "r")
        await journal.fence()
        await #expect(throws: JournalFenced.self) {
            _ = try await JournalStateStore.takingOver(snapshot: snapshot, journal: journal, local: local, resources: ["r"])
        }
    }
}
