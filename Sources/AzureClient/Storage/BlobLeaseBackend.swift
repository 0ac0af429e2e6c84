import FoundationEssentials
import KeyRotation

/// The group's leader lease on a Blob Storage blob: the blob's lease is the group's, its metadata
/// names the holder (`x-ms-meta-leader`), and a conflict from Storage is a ``LeaseConflict``.
///
/// The blob is created on first sight (`If-None-Match: *`, so two nodes starting together do not
/// overwrite each other). Its client should make one attempt with a timeout well inside the
/// lease's trust: the election retries on its own clock.
public struct BlobLeaseBackend: LeaseBackend {
    /// The blob holding the lease (`leader`).
    public let blob: String
    /// This node's name, written into the blob's metadata when it acquires the lease.
    public let node: String
    private let client: BlobStorageClient

    /// The lease on `blob` of `client`'s container, taken as `node`.
    public init(client: BlobStorageClient, blob: String = "leader", node: String) {
        self.client = client
        self.blob = blob
        self.node = node
    }

    public func observe() async throws -> LeaderElection.Observation {
        guard let properties = try await client.properties(blob) else {
            do {
                _ = try await client.put(blob, data: Array("{}".utf8), condition: .ifNotExists)
            } catch let error as BlobStorageError where error.isConflict {
                // Another node created it (and may hold it already): the next read says.
                return try await observe()
            }
            return .free
        }
        return properties.leaseState.isFree ? .free : .held(by: properties.metadata["leader"])
    }

    public func acquire(proposedID: String, duration: Duration) async throws -> String {
        let id: String
        do {
            id = try await client.acquireLease(blob, duration: duration, proposedID: proposedID)
        } catch let error as BlobStorageError where error.isConflict {
            throw LeaseConflict(code: error.code, description: "\(error)")
        }
        // The holder's name is what standbys and status show; a lease held without it still holds.
        // Metadata, not data: the blob's data is the journal's head.
        try? await client.setMetadata(blob, ["leader": node], leaseID: id)
        return id
    }

    public func renew(id: String) async throws {
        do {
            try await client.renewLease(blob, id: id)
        } catch let error as BlobStorageError where error.isConflict {
            throw LeaseConflict(code: error.code, description: "\(error)")
        }
    }

    public func release(id: String) async throws {
        try await client.releaseLease(blob, id: id)
    }
}
