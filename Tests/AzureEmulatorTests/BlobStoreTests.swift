import Foundation
import Testing

@testable import AzureEmulator

/// The emulated Blob Storage account: containers and blobs, the conditional headers, and how a
/// blob's lease guards its writes and survives them.
struct BlobStoreTests {
    static let t0 = Date(timeIntervalSince1970: 2_000_000)
    static let held = "11111111-1111-1111-1111-111111111111"
    static let other = "22222222-2222-2222-2222-222222222222"

    /// A store with container `journal` and blob `leader` holding `data`.
    static func store(_ data: String = "epoch 1") throws -> BlobStore {
        var store = BlobStore()
        _ = try store.createContainer("journal", metadata: [:], now: t0)
        _ = try store.put(
            "journal",
            "leader",
            data: Array(data.utf8),
            contentType: "text/plain",
            metadata: [:],
            leaseID: nil,
            conditions: .none,
            now: t0
        )
        return store
    }

    static func put(
        _ store: inout BlobStore,
        _ data: String,
        leaseID: String? = nil,
        _ conditions: BlobStore.Conditions = .none,
        at seconds: Double = 1
    )
        throws(StorageError) -> BlobStore.Blob
    {
        try store.put(
            "journal",
            "leader",
            data: Array(data.utf8),
            contentType: "text/plain",
            metadata: ["node": "a"],
            leaseID: leaseID,
            conditions: conditions,
            now: t0.addingTimeInterval(seconds)
        )
    }

    @Test func containersAreNamedAndCreatedOnce() throws {
        var store = BlobStore()
        for bad in ["ab", "Journal", "-journal", "jour--nal", "journal-", String(repeating: "a", count: 64), "jour_nal"] {
            #expect(throws: StorageError(status: 400, code: "InvalidResourceName")) { try store.createContainer(bad, metadata: [:], now: Self.t0) }
        }
        _ = try store.createContainer("journal-1", metadata: [:], now: Self.t0)
        #expect(throws: StorageError(status: 409, code: "ContainerAlreadyExists")) {
            try store.createContainer("journal-1", metadata: [:], now: Self.t0)
        }
        #expect(throws: StorageError(status: 404, code: "ContainerNotFound")) {
            try store.put("missing", "b", data: [], contentType: "", metadata: [:], leaseID: nil, conditions: .none, now: Self.t0)
        }
        try store.deleteContainer("journal-1", leaseID: nil, conditions: .none, now: Self.t0)
        #expect(throws: StorageError(status: 404, code: "ContainerNotFound")) { try store.container("journal-1", leaseID: nil, now: Self.t0) }
    }

    @Test func everyWriteChangesTheETagAndReadsSeeTheLastOne() throws {
        var store = try Self.store()
        let first = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0)
        let second = try Self.put(&store, "epoch 2", at: 2)
        #expect(first.etag != second.etag)
        #expect(second.created == first.created)
        #expect(second.lastModified == Self.t0.addingTimeInterval(2))
        let read = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0.addingTimeInterval(3))
        #expect(String(decoding: read.data, as: UTF8.self) == "epoch 2")
        #expect(read.metadata == ["node": "a"])
        let updated = try store.setMetadata("journal", "leader", metadata: ["node": "b"], leaseID: nil, conditions: .none, now: Self.t0)
        #expect(updated.etag != second.etag)
        #expect(updated.data == read.data)
        #expect(throws: StorageError(status: 404, code: "BlobNotFound")) {
            try store.get("journal", "other", leaseID: nil, conditions: .none, now: Self.t0)
        }
    }

    /// A writer that holds the ETag of its own last write succeeds with it once; the next writer
    /// with the same ETag is refused — the fence a stale leader meets.
    @Test func ifMatchFencesAStaleWriter() throws {
        var store = try Self.store()
        let etag = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0).etag
        _ = try Self.put(&store, "newer", BlobStore.Conditions(ifMatch: etag))
        #expect(throws: StorageError(status: 412, code: "ConditionNotMet")) { try Self.put(&store, "stale", BlobStore.Conditions(ifMatch: etag)) }
        #expect(throws: StorageError(status: 412, code: "ConditionNotMet")) {
            try store.put("journal", "new", data: [], contentType: "", metadata: [:], leaseID: nil, conditions: .init(ifMatch: etag), now: Self.t0)
        }
        // Quotes or not, an ETag is the same ETag.
        let current = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0).etag
        _ = try Self.put(&store, "again", BlobStore.Conditions(ifMatch: String(current.dropFirst().dropLast())))
    }

    @Test func ifNoneMatchCreatesOnlyOnceAndReadsAnswerNotModified() throws {
        var store = try Self.store()
        #expect(throws: StorageError(status: 409, code: "BlobAlreadyExists")) { try Self.put(&store, "x", BlobStore.Conditions(ifNoneMatch: "*")) }
        _ = try store.put(
            "journal",
            "fresh",
            data: [1],
            contentType: "",
            metadata: [:],
            leaseID: nil,
            conditions: .init(ifNoneMatch: "*"),
            now: Self.t0
        )
        let blob = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0)
        #expect(throws: StorageError(status: 304, code: "ConditionNotMet")) {
            try store.get("journal", "leader", leaseID: nil, conditions: .init(ifNoneMatch: blob.etag), now: Self.t0)
        }
        #expect(throws: StorageError(status: 412, code: "ConditionNotMet")) {
            try store.get("journal", "leader", leaseID: nil, conditions: .init(ifMatch: "\"0x8DE000000000999\""), now: Self.t0)
        }
        #expect(throws: StorageError(status: 304, code: "ConditionNotMet")) {
            try store.get("journal", "leader", leaseID: nil, conditions: .init(ifModifiedSince: Self.t0), now: Self.t0)
        }
        #expect(throws: StorageError(status: 412, code: "ConditionNotMet")) {
            try Self.put(&store, "x", BlobStore.Conditions(ifUnmodifiedSince: Self.t0.addingTimeInterval(-1)))
        }
    }

    /// The holder's writes go through and keep the lease; anyone else's are refused; leasing
    /// changes no ETag.
    @Test func aLeaseGuardsWritesAndOutlivesThem() throws {
        var store = try Self.store()
        let before = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0).etag
        let acquired = try store.lease(
            "journal",
            "leader",
            .acquire(proposed: Self.held, duration: .fixed(seconds: 15)),
            conditions: .none,
            now: Self.t0
        )
        #expect(acquired == BlobStore.LeaseAnswer(status: 201, id: Self.held, time: nil, etag: before, lastModified: Self.t0))
        #expect(throws: StorageError(status: 412, code: "LeaseIdMissing")) { try Self.put(&store, "x") }
        #expect(throws: StorageError(status: 412, code: "LeaseIdMismatchWithBlobOperation")) { try Self.put(&store, "x", leaseID: Self.other) }
        #expect(throws: StorageError(status: 412, code: "LeaseIdMissing")) {
            try store.delete("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0)
        }
        let written = try Self.put(&store, "by the holder", leaseID: Self.held, at: 5)
        #expect(written.lease.state(at: Self.t0.addingTimeInterval(5)) == .leased)
        // Renewal restarts the 15 s from the renewal, not from the write.
        let renewed = try store.lease("journal", "leader", .renew(id: Self.held), conditions: .none, now: Self.t0.addingTimeInterval(10))
        #expect(renewed.status == 200 && renewed.id == Self.held && renewed.etag == written.etag)
        #expect(try store.get("journal", "leader", leaseID: Self.held, conditions: .none, now: Self.t0.addingTimeInterval(24)).data == written.data)
        #expect(throws: StorageError(status: 412, code: "LeaseNotPresentWithBlobOperation")) {
            try store.get("journal", "leader", leaseID: Self.held, conditions: .none, now: Self.t0.addingTimeInterval(25))
        }
        #expect(throws: StorageError(status: 404, code: "BlobNotFound")) {
            try store.lease("journal", "missing", .acquire(proposed: nil, duration: .infinite), conditions: .none, now: Self.t0)
        }
    }

    /// An expired lease renews while nobody wrote the blob; a write forgets it (Azure's rule).
    @Test func aWriteAfterExpiryForgetsTheLease() throws {
        var store = try Self.store()
        _ = try store.lease("journal", "leader", .acquire(proposed: Self.held, duration: .fixed(seconds: 15)), conditions: .none, now: Self.t0)
        _ = try store.lease("journal", "leader", .renew(id: Self.held), conditions: .none, now: Self.t0.addingTimeInterval(20))
        _ = try Self.put(&store, "by anyone", at: 40)
        #expect(throws: StorageError(status: 409, code: "LeaseIdMismatchWithLeaseOperation")) {
            try store.lease("journal", "leader", .renew(id: Self.held), conditions: .none, now: Self.t0.addingTimeInterval(41))
        }
    }

    @Test func leaseActionsHonourIfMatch() throws {
        var store = try Self.store()
        #expect(throws: StorageError(status: 412, code: "ConditionNotMet")) {
            try store.lease("journal", "leader", .acquire(proposed: nil, duration: .infinite), conditions: .init(ifMatch: "\"stale\""), now: Self.t0)
        }
    }

    @Test func aLeasedContainerIsDeletedOnlyByItsHolder() throws {
        var store = try Self.store()
        _ = try store.lease("journal", nil, .acquire(proposed: Self.held, duration: .infinite), conditions: .none, now: Self.t0)
        // Blob writes in a leased container are not the container lease's business.
        _ = try Self.put(&store, "x")
        #expect(throws: StorageError(status: 412, code: "LeaseIdMissing")) {
            try store.deleteContainer("journal", leaseID: nil, conditions: .none, now: Self.t0)
        }
        try store.deleteContainer("journal", leaseID: Self.held, conditions: .none, now: Self.t0)
    }

    @Test func controlsExpireAndBreakWithoutWaiting() throws {
        var store = try Self.store()
        let expiredWithoutLease = store.control(.expire, "journal", "leader", now: Self.t0)
        #expect(!expiredWithoutLease)
        _ = try store.lease("journal", "leader", .acquire(proposed: Self.held, duration: .fixed(seconds: 60)), conditions: .none, now: Self.t0)
        let expiredNow = store.control(.expire, "journal", "leader", now: Self.t0.addingTimeInterval(1))
        #expect(expiredNow)
        let expired = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0.addingTimeInterval(1))
        #expect(expired.lease.state(at: Self.t0.addingTimeInterval(1)) == .expired)
        _ = try store.lease(
            "journal",
            "leader",
            .acquire(proposed: Self.other, duration: .fixed(seconds: 60)),
            conditions: .none,
            now: Self.t0.addingTimeInterval(2)
        )
        let broke = store.control(.breakNow, "journal", "leader", now: Self.t0.addingTimeInterval(3))
        #expect(broke)
        let broken = try store.get("journal", "leader", leaseID: nil, conditions: .none, now: Self.t0.addingTimeInterval(3))
        #expect(broken.lease.state(at: Self.t0.addingTimeInterval(3)) == .broken)
        let brokeAgain = store.control(.breakNow, "journal", "leader", now: Self.t0.addingTimeInterval(3))
        #expect(!brokeAgain)
        let expiredMissing = store.control(.expire, "journal", "missing", now: Self.t0)
        #expect(!expiredMissing)
    }

    @Test func listingIsByPrefixInNameOrder() throws {
        var store = try Self.store()
        for name in ["records/b", "records/a", "intents/1"] {
            _ = try store.put("journal", name, data: [], contentType: "", metadata: [:], leaseID: nil, conditions: .none, now: Self.t0)
        }
        #expect(try store.list("journal", prefix: "records/", now: Self.t0).map(\.name) == ["records/a", "records/b"])
        #expect(try store.list("journal", prefix: "", now: Self.t0).count == 4)
    }
}
