import FoundationEssentials
import KeyRotation

/// A group's rotation journal in its Blob Storage container: the head in the lease's blob
/// (`leader`: the epoch and whether the last leadership released cleanly, written with the lease
/// id, so only the lease's holder can change it), and one blob per resource (`records/NAME`: the
/// epoch that wrote it and the record — fingerprints and times, never a key).
///
/// The fence: every record write is conditional on the ETag of this leadership's own previous
/// write of that blob (`If-None-Match: *` for a first one), never on one read just before writing.
/// A new leadership rewrites every record blob when it takes over — and creates one for each
/// configured resource that has none — so each ETag an older leader holds is stale and each of
/// its writes is refused with 412. Takeover costs two requests per resource; a step, one small
/// write, whatever the number of resources. A brand-new journal (no head, no record) has no older
/// leader to fence: its first leadership takes it over in three requests.
public actor BlobGroupJournal: GroupJournal {
    private let client: BlobStorageClient
    /// The lease's blob, whose data is the head.
    private let head: String
    /// How many takeover requests are in flight at once.
    private let concurrency: Int
    private var epoch: Int?
    /// The ETag of this leadership's last write of each record blob.
    private var etags: [String: String] = [:]

    private struct Head: Codable {
        var epoch: Int?
        var leader: String?
        var released: Bool?
    }

    private struct RecordBlob: Codable, Equatable {
        var epoch: Int
        var record: ResourceState?
    }

    /// The journal in `client`'s container, its head in `head` (the lease's blob).
    public init(client: BlobStorageClient, head: String = "leader", concurrency: Int = 32) {
        self.client = client
        self.head = head
        self.concurrency = max(1, concurrency)
    }

    /// The blob of `resource`'s record.
    static func blob(_ resource: String) -> String { "records/" + resource }

    public func takeOver(leaseID: String, node: String, resources: [String]) async throws -> JournalSnapshot {
        let previous = try await client.get(head, leaseID: leaseID).flatMap { try? RecordCoding.decoder.decode(Head.self, from: Data($0.data)) }
        let epoch = (previous?.epoch ?? 0) + 1
        let written = Head(epoch: epoch, leader: node, released: false)
        _ = try await client.put(
            head,
            data: Array(try RecordCoding.encoder.encode(written)),
            condition: .none,
            leaseID: leaseID,
            metadata: ["leader": node]
        )
        self.epoch = epoch
        etags = [:]
        let existing = Set(try await client.list(prefix: "records/").map { String($0.dropFirst("records/".count)) })
        // Without an epoch in the head or a record no leadership ever wrote here: there is nothing to fence, and
        // each record is created by its first save (`If-None-Match: *`).
        let names = previous?.epoch == nil && existing.isEmpty ? [] : existing.union(resources).sorted()
        var records: [String: ResourceState] = [:]
        let client = self.client
        try await withThrowingTaskGroup(of: (String, String, ResourceState?).self) { group in
            var next = names.makeIterator()
            func start() {
                guard let name = next.next() else { return }
                group.addTask { try await Self.fence(name, epoch: epoch, client: client) }
            }
            for _ in 0..<concurrency { start() }
            while let (name, etag, record) = try await group.next() {
                etags[name] = etag
                records[name] = record
                start()
            }
        }
        return JournalSnapshot(epoch: epoch, records: records, releasedCleanly: previous?.released ?? false)
    }

    /// Rewrites (or creates) `resource`'s record blob stamped with `epoch`, conditional on the
    /// ETag just read: a write by the older leader in between makes it read and try again.
    private static func fence(_ resource: String, epoch: Int, client: BlobStorageClient) async throws -> (String, String, ResourceState?) {
        let blob = Self.blob(resource)
        for _ in 0..<10 {
            let current = try await client.get(blob)
            var record: ResourceState?
            if let current {
                do {
                    record = try RecordCoding.decoder.decode(RecordBlob.self, from: Data(current.data)).record
                } catch {
                    throw BlobStorageError(
                        operation: "takeOver",
                        url: client.url(blob),
                        status: 0,
                        code: "MalformedRecord",
                        message: "the record is not a keyrotd journal record; move the blob aside to have the resource adopted afresh",
                        requestID: nil
                    )
                }
            }
            let body = Array(try RecordCoding.encoder.encode(RecordBlob(epoch: epoch, record: record)))
            do {
                let etag = try await client.put(blob, data: body, condition: current.map { .ifMatch($0.etag) } ?? .ifNotExists)
                return (resource, etag, record)
            } catch let error as BlobStorageError where error.isConflict {
                continue
            }
        }
        throw BlobStorageError(
            operation: "takeOver",
            url: client.url(blob),
            status: 412,
            code: "ConditionNotMet",
            message: "the record kept changing while it was taken over: another node still writes the journal",
            requestID: nil
        )
    }

    public func save(_ state: ResourceState, for resource: String) async throws {
        guard let epoch else { throw JournalFenced(resource: resource, cause: "the journal was not taken over by this node") }
        let blob = Self.blob(resource)
        let written = RecordBlob(epoch: epoch, record: state)
        let body = Array(try RecordCoding.encoder.encode(written))
        do {
            etags[resource] = try await client.put(blob, data: body, condition: etags[resource].map { .ifMatch($0) } ?? .ifNotExists)
        } catch let error as BlobStorageError where error.isConflict {
            etags[resource] = nil
            throw JournalFenced(resource: resource, cause: "\(error)")
        } catch is OutcomeUnknown {
            // The answer was lost: the write landed if the blob holds exactly what was sent.
            if let current = try await client.get(blob), current.data == body {
                etags[resource] = current.etag
                return
            }
            etags[resource] = nil
            throw JournalFenced(resource: resource, cause: "the record changed while the answer to its write was lost")
        }
    }

    public func release(leaseID: String) async throws {
        guard let epoch else { return }
        let written = Head(epoch: epoch, leader: nil, released: true)
        _ = try await client.put(head, data: Array(try RecordCoding.encoder.encode(written)), condition: .none, leaseID: leaseID)
    }
}
