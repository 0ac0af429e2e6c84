import FoundationEssentials

/// One emulated Blob Storage account: containers of block blobs with their data, metadata, ETag,
/// times and lease, and the checks Azure makes before each operation — the container and blob
/// exist, the conditional headers hold, the lease lets the caller through — in the order Azurite
/// makes them (conditions, then the lease). Time is passed in, as to ``BlobLease``.
///
/// A struct: the routes hold it in ``EmulatorState`` and turn its answers and ``StorageError``s
/// into HTTP.
struct BlobStore: Sendable {
    /// A block blob.
    struct Blob: Sendable {
        /// Its bytes.
        var data: [UInt8]
        /// `Content-Type` as uploaded (`x-ms-blob-content-type`).
        var contentType: String
        /// `x-ms-meta-*`, names lower-cased (Azure compares them without case).
        var metadata: [String: String]
        /// The quoted ETag; every write changes it, a lease action does not.
        var etag: String
        /// The last write, whole seconds (the resolution of `Last-Modified`).
        var lastModified: Date
        /// When the blob was first written.
        var created: Date
        /// Its lease.
        var lease = BlobLease()
    }

    /// A container.
    struct Container: Sendable {
        /// Its blobs by name.
        var blobs: [String: Blob] = [:]
        /// `x-ms-meta-*`.
        var metadata: [String: String]
        /// The quoted ETag.
        var etag: String
        /// The last change, whole seconds.
        var lastModified: Date
        /// Its lease (which guards only the container's own deletion).
        var lease = BlobLease()
    }

    /// The conditional headers of a request.
    struct Conditions: Sendable, Equatable {
        /// `If-Match`: an ETag or `*`.
        var ifMatch: String?
        /// `If-None-Match`: an ETag or `*`.
        var ifNoneMatch: String?
        /// `If-Modified-Since`.
        var ifModifiedSince: Date?
        /// `If-Unmodified-Since`.
        var ifUnmodifiedSince: Date?

        /// No conditions.
        static let none = Conditions()
    }

    /// A lease action as the request names it.
    enum LeaseAction: Sendable, Equatable {
        case acquire(proposed: String?, duration: BlobLease.Duration)
        case renew(id: String)
        case change(id: String, proposed: String)
        case release(id: String)
        case breakLease(period: Int?)
    }

    /// What a lease action answers: its status, the lease id (all but break and release), the
    /// seconds until broken (break), and the ETag and time of what it leased.
    struct LeaseAnswer: Sendable, Equatable {
        /// 200, 201 or 202.
        var status: Int
        /// `x-ms-lease-id`.
        var id: String?
        /// `x-ms-lease-time`.
        var time: Int?
        /// `ETag`.
        var etag: String
        /// `Last-Modified`.
        var lastModified: Date
    }

    /// What a test can do to a lease without waiting (`POST /_emulator/blob-lease`).
    enum LeaseControl: String, Sendable, CaseIterable {
        /// A fixed lease ends now.
        case expire
        /// The lease breaks now, whatever its period.
        case breakNow = "break"
    }

    private var containers: [String: Container] = [:]
    private var writes: UInt64 = 0

    /// An empty account.
    init() {}

    // MARK: - Containers

    /// Creates container `name` (Azure's naming rules: 3–63 lower-case letters, digits and single
    /// hyphens, starting with a letter or digit).
    mutating func createContainer(_ name: String, metadata: [String: String], now: Date) throws(StorageError) -> Container {
        guard Self.isContainerName(name) else { throw StorageError(status: 400, code: "InvalidResourceName") }
        guard containers[name] == nil else { throw StorageError(status: 409, code: "ContainerAlreadyExists") }
        let container = Container(metadata: metadata, etag: nextETag(), lastModified: Self.seconds(now))
        containers[name] = container
        return container
    }

    /// Container `name`, for a read with `leaseID`.
    func container(_ name: String, leaseID: String?, now: Date) throws(StorageError) -> Container {
        guard let container = containers[name] else { throw StorageError(status: 404, code: "ContainerNotFound") }
        try container.lease.checkRead(leaseID: leaseID, now: now)
        return container
    }

    /// Deletes container `name` and its blobs; a leased container needs its lease id.
    mutating func deleteContainer(_ name: String, leaseID: String?, conditions: Conditions, now: Date) throws(StorageError) {
        guard let container = containers[name] else { throw StorageError(status: 404, code: "ContainerNotFound") }
        try conditions.check(etag: nil, lastModified: container.lastModified, write: true)
        try container.lease.checkWrite(leaseID: leaseID, now: now)
        containers[name] = nil
    }

    /// The names of the blobs of container `name` that start with `prefix`, in order, with their blobs.
    func list(_ name: String, prefix: String, now: Date) throws(StorageError) -> [(name: String, blob: Blob)] {
        let container = try container(name, leaseID: nil, now: now)
        return container.blobs.filter { $0.key.hasPrefix(prefix) }.sorted { $0.key < $1.key }.map { (name: $0.key, blob: $0.value) }
    }

    // MARK: - Blobs

    /// Put Blob: writes `data` over what `blob` held, keeping its lease and creation time.
    mutating func put(
        _ container: String,
        _ blob: String,
        data: [UInt8],
        contentType: String,
        metadata: [String: String],
        leaseID: String?,
        conditions: Conditions,
        now: Date
    ) throws(StorageError) -> Blob {
        guard containers[container] != nil else { throw StorageError(status: 404, code: "ContainerNotFound") }
        guard (1...1024).contains(blob.count) else { throw StorageError(status: 400, code: "InvalidResourceName") }
        let existing = containers[container]?.blobs[blob]
        try conditions.check(etag: existing?.etag, lastModified: existing?.lastModified, write: true)
        var lease = existing?.lease ?? BlobLease()
        try lease.checkWrite(leaseID: leaseID, now: now)
        lease.written(at: now)
        let written = Blob(
            data: data,
            contentType: contentType,
            metadata: metadata,
            etag: nextETag(),
            lastModified: Self.seconds(now),
            created: existing?.created ?? Self.seconds(now),
            lease: lease
        )
        containers[container]?.blobs[blob] = written
        return written
    }

    /// Get Blob or Get Blob Properties: the blob, if the conditions and the lease let the reader through.
    func get(_ container: String, _ blob: String, leaseID: String?, conditions: Conditions, now: Date) throws(StorageError) -> Blob {
        guard let found = try self.container(container, leaseID: nil, now: now).blobs[blob] else {
            throw StorageError(status: 404, code: "BlobNotFound")
        }
        try conditions.check(etag: found.etag, lastModified: found.lastModified, write: false)
        try found.lease.checkRead(leaseID: leaseID, now: now)
        return found
    }

    /// Set Blob Metadata: replaces the metadata (a write: new ETag, lease checked).
    mutating func setMetadata(
        _ container: String,
        _ blob: String,
        metadata: [String: String],
        leaseID: String?,
        conditions: Conditions,
        now: Date
    ) throws(StorageError) -> Blob {
        var found = try writable(container, blob, leaseID: leaseID, conditions: conditions, now: now)
        found.metadata = metadata
        found.etag = nextETag()
        found.lastModified = Self.seconds(now)
        found.lease.written(at: now)
        containers[container]?.blobs[blob] = found
        return found
    }

    /// Delete Blob.
    mutating func delete(_ container: String, _ blob: String, leaseID: String?, conditions: Conditions, now: Date) throws(StorageError) {
        _ = try writable(container, blob, leaseID: leaseID, conditions: conditions, now: now)
        containers[container]?.blobs[blob] = nil
    }

    private func writable(_ container: String, _ blob: String, leaseID: String?, conditions: Conditions, now: Date) throws(StorageError) -> Blob {
        guard let found = try self.container(container, leaseID: nil, now: now).blobs[blob] else {
            throw StorageError(status: 404, code: "BlobNotFound")
        }
        try conditions.check(etag: found.etag, lastModified: found.lastModified, write: true)
        try found.lease.checkWrite(leaseID: leaseID, now: now)
        return found
    }

    // MARK: - Leases

    /// Lease Blob (`blob` given) or Lease Container: the action on the lease, after the conditions.
    /// Leasing changes neither the ETag nor `Last-Modified`.
    mutating func lease(_ container: String, _ blob: String?, _ action: LeaseAction, conditions: Conditions, now: Date) throws(StorageError)
        -> LeaseAnswer
    {
        guard var found = containers[container] else { throw StorageError(status: 404, code: "ContainerNotFound") }
        if let blob {
            guard var target = found.blobs[blob] else { throw StorageError(status: 404, code: "BlobNotFound") }
            try conditions.check(etag: target.etag, lastModified: target.lastModified, write: true)
            let answer = try Self.apply(action, to: &target.lease, now: now)
            found.blobs[blob] = target
            containers[container] = found
            return LeaseAnswer(status: answer.status, id: answer.id, time: answer.time, etag: target.etag, lastModified: target.lastModified)
        }
        try conditions.check(etag: nil, lastModified: found.lastModified, write: true)
        let answer = try Self.apply(action, to: &found.lease, now: now)
        containers[container] = found
        return LeaseAnswer(status: answer.status, id: answer.id, time: answer.time, etag: found.etag, lastModified: found.lastModified)
    }

    private static func apply(_ action: LeaseAction, to lease: inout BlobLease, now: Date) throws(StorageError) -> (
        status: Int, id: String?, time: Int?
    ) {
        switch action {
        case .acquire(let proposed, let duration):
            return (201, try lease.acquire(proposed: proposed, duration: duration, now: now), nil)
        case .renew(let id):
            try lease.renew(id: id, now: now)
            return (200, lease.id, nil)
        case .change(let id, let proposed):
            return (200, try lease.change(id: id, to: proposed, now: now), nil)
        case .release(let id):
            try lease.release(id: id)
            return (200, nil, nil)
        case .breakLease(let period):
            return (202, nil, try lease.breakLease(period: period, now: now))
        }
    }

    /// A test's control over the lease of `blob` (or of the container); `false` when there is no
    /// such blob or no lease to act on.
    mutating func control(_ control: LeaseControl, _ container: String, _ blob: String?, now: Date) -> Bool {
        guard var found = containers[container] else { return false }
        var lease: BlobLease
        if let blob {
            guard let target = found.blobs[blob] else { return false }
            lease = target.lease
        } else {
            lease = found.lease
        }
        let acted: Bool
        switch control {
        case .expire: acted = lease.expire(now: now)
        case .breakNow: acted = lease.isActive(at: now) && (try? lease.breakLease(period: 0, now: now)) != nil
        }
        if let blob { found.blobs[blob]?.lease = lease } else { found.lease = lease }
        containers[container] = found
        return acted
    }

    // MARK: - Helpers

    /// A new ETag in Azure's form (`"0x8D…"`, 15 hex digits after `0x`).
    private mutating func nextETag() -> String {
        writes += 1
        let hex = String(writes, radix: 16, uppercase: true)
        return "\"0x8DE" + String(repeating: "0", count: max(0, 12 - hex.count)) + hex + "\""
    }

    private static func seconds(_ date: Date) -> Date {
        Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down))
    }

    private static func isContainerName(_ name: String) -> Bool {
        guard (3...63).contains(name.count), !name.contains("--"), name.first != "-", name.last != "-" else { return false }
        return name.allSatisfy { ($0.isASCII && ($0.isLowercase || $0.isNumber)) || $0 == "-" }
    }
}

extension BlobStore.Conditions {
    /// Whether the conditions hold for a blob with `etag` (`nil`: absent) changed at
    /// `lastModified`. A write that fails one is refused with 412 `ConditionNotMet`, or 409
    /// `BlobAlreadyExists` for `If-None-Match: *` on an existing blob; a read with 412, or 304 for
    /// `If-None-Match` and `If-Modified-Since`.
    func check(etag: String?, lastModified: Date?, write: Bool) throws(StorageError) {
        let notMet = StorageError(status: 412, code: "ConditionNotMet")
        let notModified = write ? notMet : StorageError(status: 304, code: "ConditionNotMet")
        if let ifMatch {
            guard let etag, ifMatch == "*" || Self.same(ifMatch, etag) else { throw notMet }
        }
        if let ifNoneMatch, let etag {
            if ifNoneMatch == "*" { throw write ? StorageError(status: 409, code: "BlobAlreadyExists") : notModified }
            if Self.same(ifNoneMatch, etag) { throw notModified }
        }
        if let lastModified {
            if let ifModifiedSince, lastModified <= ifModifiedSince { throw notModified }
            if let ifUnmodifiedSince, lastModified > ifUnmodifiedSince { throw notMet }
        }
    }

    /// ETags compare with or without their quotes.
    private static func same(_ a: String, _ b: String) -> Bool {
        func bare(_ s: String) -> Substring { s.hasPrefix("\"") && s.hasSuffix("\"") && s.count >= 2 ? s.dropFirst().dropLast() : s[...] }
        return bare(a) == bare(b)
    }
}
