import FoundationEssentials

/// The lease of one emulated blob (or container), as Azure's own lease tests and Azurite define it:
/// five states (available, leased, expired, breaking, broken), five actions (acquire, renew,
/// change, release, break), and the checks a lease puts on writes and reads. Time is passed in, so
/// expiry and a break period are decided by the caller's clock, as the service's clock decides
/// them in Azure (never a client's).
///
/// A struct whose actions return the answer's status and lease headers, or a ``StorageError`` with
/// Azure's status and error code; the blob routes turn those into HTTP.
struct BlobLease: Sendable, Equatable {
    /// What `x-ms-lease-state` says.
    enum State: String, Sendable {
        case available, leased, expired, breaking, broken
    }

    /// How long an acquired lease lasts.
    enum Duration: Sendable, Equatable {
        /// 15 to 60 seconds, renewed by the holder.
        case fixed(seconds: Int)
        /// Until released or broken.
        case infinite
    }

    private enum Phase: Sendable, Equatable {
        case available
        case leased(id: String, duration: Duration, expiresAt: Date?)
        case breaking(id: String, brokenAt: Date)
        case broken(id: String)
    }

    private var phase = Phase.available

    /// A blob without a lease.
    init() {}

    // MARK: - State

    /// The state at `now`: a fixed lease past its end has expired, a break past its period is broken.
    func state(at now: Date) -> State {
        switch phase {
        case .available: .available
        case .leased(_, _, let expiresAt): expiresAt.map { now >= $0 } == true ? .expired : .leased
        case .breaking(_, let brokenAt): now >= brokenAt ? .broken : .breaking
        case .broken: .broken
        }
    }

    /// The current or last lease id (none while available).
    var id: String? {
        switch phase {
        case .available: nil
        case .leased(let id, _, _), .breaking(let id, _), .broken(let id): id
        }
    }

    /// Whether the lease holds the blob at `now` (`x-ms-lease-status: locked`).
    func isActive(at now: Date) -> Bool {
        let state = state(at: now)
        return state == .leased || state == .breaking
    }

    /// `x-ms-lease-state`, `x-ms-lease-status` and, while leased, `x-ms-lease-duration`.
    func headers(at now: Date) -> [(String, String)] {
        var headers = [("x-ms-lease-state", state(at: now).rawValue), ("x-ms-lease-status", isActive(at: now) ? "locked" : "unlocked")]
        if state(at: now) == .leased, case .leased(_, let duration, _) = phase {
            headers.append(("x-ms-lease-duration", duration == .infinite ? "infinite" : "fixed"))
        }
        return headers
    }

    // MARK: - Actions

    /// `acquire`: 201 with the id (the proposed one, or a new one).
    mutating func acquire(proposed: String?, duration: Duration, now: Date) throws(StorageError) -> String {
        switch (state(at: now), phase) {
        case (.leased, .leased(let id, _, _)):
            // The holder asking again is answered as a success (and may change the duration).
            guard let proposed, Self.same(proposed, id) else { throw Self.conflict("LeaseAlreadyPresent") }
            phase = .leased(id: id, duration: duration, expiresAt: Self.end(of: duration, from: now))
            return id
        case (.breaking, _):
            guard let proposed, Self.same(proposed, id) else { throw Self.conflict("LeaseAlreadyPresent") }
            throw Self.conflict("LeaseIsBreakingAndCannotBeAcquired")
        default:
            let id = proposed ?? UUID().uuidString.lowercased()
            phase = .leased(id: id, duration: duration, expiresAt: Self.end(of: duration, from: now))
            return id
        }
    }

    /// `renew`: the lease's clock restarts. An expired lease renews while the blob was not written
    /// since (a write forgets it, see ``written(at:)``).
    mutating func renew(id given: String, now: Date) throws(StorageError) {
        switch (state(at: now), phase) {
        case (.leased, .leased(let id, let duration, _)), (.expired, .leased(let id, let duration, _)):
            guard Self.same(given, id) else { throw Self.conflict("LeaseIdMismatchWithLeaseOperation") }
            phase = .leased(id: id, duration: duration, expiresAt: Self.end(of: duration, from: now))
        case (.breaking, _), (.broken, _):
            guard Self.same(given, id) else { throw Self.conflict("LeaseIdMismatchWithLeaseOperation") }
            throw Self.conflict("LeaseIsBrokenAndCannotBeRenewed")
        default:
            throw Self.conflict("LeaseIdMismatchWithLeaseOperation")
        }
    }

    /// `change`: the lease gets id `proposed`; asking again after it changed is a success too.
    mutating func change(id given: String, to proposed: String, now: Date) throws(StorageError) -> String {
        switch (state(at: now), phase) {
        case (.leased, .leased(let id, let duration, let expiresAt)):
            guard Self.same(given, id) || Self.same(proposed, id) else { throw Self.conflict("LeaseIdMismatchWithLeaseOperation") }
            phase = .leased(id: proposed, duration: duration, expiresAt: expiresAt)
            return proposed
        case (.breaking, _):
            guard Self.same(given, id) else { throw Self.conflict("LeaseIdMismatchWithLeaseOperation") }
            throw Self.conflict("LeaseIsBreakingAndCannotBeChanged")
        default:
            throw Self.conflict("LeaseNotPresentWithLeaseOperation")
        }
    }

    /// `release`: the blob is available again.
    mutating func release(id given: String) throws(StorageError) {
        guard Self.same(given, id) else { throw Self.conflict("LeaseIdMismatchWithLeaseOperation") }
        phase = .available
    }

    /// `break`: 202 with the seconds until the lease is broken (`x-ms-lease-time`). A fixed lease
    /// breaks after `period` or what is left of it, whichever is shorter (no period: what is
    /// left); an infinite one after `period` (none or 0: at once); a break under way only shortens.
    mutating func breakLease(period: Int?, now: Date) throws(StorageError) -> Int {
        let state = state(at: now)
        switch phase {
        case .available:
            throw Self.conflict("LeaseNotPresentWithLeaseOperation")
        case .leased(let id, let duration, let expiresAt):
            if state == .expired {
                phase = .broken(id: id)
                return 0
            }
            let remaining = expiresAt.map { $0.timeIntervalSince(now) } ?? 0
            let wait: Double =
                switch duration {
                case .fixed: min(period.map(Double.init) ?? remaining, remaining)
                case .infinite: Double(period ?? 0)
                }
            phase = wait <= 0 ? .broken(id: id) : .breaking(id: id, brokenAt: now.addingTimeInterval(wait))
            return Int(wait.rounded(.up))
        case .breaking(let id, let brokenAt):
            if state == .broken {
                phase = .broken(id: id)
                return 0
            }
            let end = period.map { min(brokenAt, now.addingTimeInterval(Double($0))) } ?? brokenAt
            phase = end <= now ? .broken(id: id) : .breaking(id: id, brokenAt: end)
            return Int(end.timeIntervalSince(now).rounded(.up))
        case .broken:
            return 0
        }
    }

    /// A test's control: a fixed lease still running ends at `now`, as if its time had run out;
    /// `false` for any other lease (an infinite one never expires).
    mutating func expire(now: Date) -> Bool {
        guard case .leased(let id, let duration, let expiresAt?) = phase, expiresAt > now else { return false }
        phase = .leased(id: id, duration: duration, expiresAt: now)
        return true
    }

    // MARK: - Blob operations

    /// Whether a write (Put Blob, Put Block List, metadata, properties, delete) carrying `leaseID`
    /// may go ahead at `now`; all refusals are 412.
    func checkWrite(leaseID: String?, now: Date) throws(StorageError) {
        if isActive(at: now) {
            guard let leaseID else { throw StorageError(status: 412, code: "LeaseIdMissing") }
            guard Self.same(leaseID, id) else { throw StorageError(status: 412, code: "LeaseIdMismatchWithBlobOperation") }
        } else if leaseID != nil {
            throw StorageError(status: 412, code: "LeaseNotPresentWithBlobOperation")
        }
    }

    /// Whether a read carrying `leaseID` may go ahead: without an id always, with one only if it is
    /// the active lease's.
    func checkRead(leaseID: String?, now: Date) throws(StorageError) {
        guard let leaseID else { return }
        guard isActive(at: now) else { throw StorageError(status: 412, code: "LeaseNotPresentWithBlobOperation") }
        guard Self.same(leaseID, id) else { throw StorageError(status: 412, code: "LeaseIdMismatchWithBlobOperation") }
    }

    /// A write went ahead: an expired lease can no longer be renewed (Azure forgets it).
    mutating func written(at now: Date) {
        if state(at: now) == .expired { phase = .available }
    }

    // MARK: - Headers

    /// `x-ms-lease-duration` of an acquire: 15 to 60 seconds or -1 (infinite); anything else 400.
    static func duration(_ header: String?) throws(StorageError) -> Duration {
        guard let header, let seconds = Int(header) else { throw StorageError(status: 400, code: "MissingRequiredHeader") }
        if seconds == -1 { return .infinite }
        guard (15...60).contains(seconds) else { throw StorageError(status: 400, code: "InvalidHeaderValue") }
        return .fixed(seconds: seconds)
    }

    /// `x-ms-lease-break-period`: 0 to 60 seconds, or absent; anything else 400.
    static func breakPeriod(_ header: String?) throws(StorageError) -> Int? {
        guard let header else { return nil }
        guard let seconds = Int(header), (0...60).contains(seconds) else { throw StorageError(status: 400, code: "InvalidHeaderValue") }
        return seconds
    }

    /// A lease id header: a GUID, or 400.
    static func leaseID(_ header: String?) throws(StorageError) -> String? {
        guard let header else { return nil }
        guard UUID(uuidString: header) != nil else { throw StorageError(status: 400, code: "InvalidHeaderValue") }
        return header.lowercased()
    }

    private static func end(of duration: Duration, from now: Date) -> Date? {
        if case .fixed(let seconds) = duration { return now.addingTimeInterval(Double(seconds)) }
        return nil
    }

    private static func same(_ given: String, _ id: String?) -> Bool {
        id.map { given.lowercased() == $0.lowercased() } ?? false
    }

    private static func conflict(_ code: String) -> StorageError { StorageError(status: 409, code: code) }
}
