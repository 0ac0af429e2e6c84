import Foundation
import Testing

@testable import AzureEmulator

/// The lease state machine, cell by cell, against the table of Azure's lease tests
/// (`reference/blob-lease.md`): every action in every state, the break periods, and the checks on
/// writes and reads.
struct BlobLeaseTests {
    typealias Refusal = StorageError
    static let t0 = Date(timeIntervalSince1970: 1_000_000)
    static let held = "11111111-1111-1111-1111-111111111111"
    static let other = "22222222-2222-2222-2222-222222222222"

    enum Start: String, CaseIterable, CustomTestStringConvertible {
        case available, leased, expired, breaking, broken
        var testDescription: String { rawValue }
    }

    /// A lease in `start` at the returned instant; its id (when it has one) is `held`.
    static func lease(_ start: Start) -> (BlobLease, Date) {
        var lease = BlobLease()
        switch start {
        case .available:
            return (lease, t0)
        case .leased:
            _ = try! lease.acquire(proposed: held, duration: .fixed(seconds: 15), now: t0)
            return (lease, t0.addingTimeInterval(5))
        case .expired:
            _ = try! lease.acquire(proposed: held, duration: .fixed(seconds: 15), now: t0)
            return (lease, t0.addingTimeInterval(20))
        case .breaking:
            _ = try! lease.acquire(proposed: held, duration: .fixed(seconds: 60), now: t0)
            _ = try! lease.breakLease(period: 10, now: t0)
            return (lease, t0.addingTimeInterval(1))
        case .broken:
            _ = try! lease.acquire(proposed: held, duration: .fixed(seconds: 60), now: t0)
            _ = try! lease.breakLease(period: 0, now: t0)
            return (lease, t0.addingTimeInterval(1))
        }
    }

    static func conflict(_ code: String) -> Refusal { Refusal(status: 409, code: code) }

    @Test(arguments: Start.allCases) func eachStartIsWhatItSays(start: Start) {
        let (lease, now) = Self.lease(start)
        #expect(lease.state(at: now).rawValue == start.rawValue)
        #expect(lease.isActive(at: now) == (start == .leased || start == .breaking))
    }

    @Test func acquire() throws {
        for start in [Start.available, .expired, .broken] {
            var (lease, now) = Self.lease(start)
            #expect(try lease.acquire(proposed: Self.other, duration: .fixed(seconds: 15), now: now) == Self.other, "\(start)")
            #expect(lease.state(at: now) == .leased)
        }
        var (leased, now) = Self.lease(.leased)
        #expect(try leased.acquire(proposed: Self.held, duration: .infinite, now: now) == Self.held, "the holder again: a success")
        #expect(leased.state(at: now.addingTimeInterval(3600)) == .leased, "with the new, infinite duration")
        #expect(throws: Self.conflict("LeaseAlreadyPresent")) { try leased.acquire(proposed: Self.other, duration: .infinite, now: now) }
        #expect(throws: Self.conflict("LeaseAlreadyPresent")) { try leased.acquire(proposed: nil, duration: .infinite, now: now) }
        var (breaking, then) = Self.lease(.breaking)
        #expect(throws: Self.conflict("LeaseIsBreakingAndCannotBeAcquired")) {
            try breaking.acquire(proposed: Self.held, duration: .fixed(seconds: 15), now: then)
        }
        #expect(throws: Self.conflict("LeaseAlreadyPresent")) { try breaking.acquire(proposed: Self.other, duration: .fixed(seconds: 15), now: then) }
        var fresh = BlobLease()
        let made = try fresh.acquire(proposed: nil, duration: .fixed(seconds: 15), now: Self.t0)
        #expect(UUID(uuidString: made) != nil, "without a proposal the service makes an id")
    }

    @Test func renew() throws {
        var (leased, now) = Self.lease(.leased)
        try leased.renew(id: Self.held.uppercased(), now: now.addingTimeInterval(9))
        #expect(leased.state(at: now.addingTimeInterval(9 + 14)) == .leased, "the clock restarted at the renewal")
        #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) { try leased.renew(id: Self.other, now: now) }

        var (expired, later) = Self.lease(.expired)
        try expired.renew(id: Self.held, now: later)
        #expect(expired.state(at: later) == .leased, "an expired lease renews while its blob was not written")
        var (written, after) = Self.lease(.expired)
        written.written(at: after)
        #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) { try written.renew(id: Self.held, now: after) }

        for start in [Start.breaking, .broken] {
            var (lease, at) = Self.lease(start)
            #expect(throws: Self.conflict("LeaseIsBrokenAndCannotBeRenewed")) { try lease.renew(id: Self.held, now: at) }
            #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) { try lease.renew(id: Self.other, now: at) }
        }
        var (available, at) = Self.lease(.available)
        #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) { try available.renew(id: Self.held, now: at) }
    }

    @Test func change() throws {
        var (leased, now) = Self.lease(.leased)
        #expect(try leased.change(id: Self.held, to: Self.other, now: now) == Self.other)
        #expect(try leased.change(id: Self.held, to: Self.other, now: now) == Self.other, "asked again after it changed: a success")
        #expect(leased.id == Self.other)
        #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) {
            try leased.change(id: Self.held, to: "33333333-3333-3333-3333-333333333333", now: now)
        }
        var (breaking, then) = Self.lease(.breaking)
        #expect(throws: Self.conflict("LeaseIsBreakingAndCannotBeChanged")) { try breaking.change(id: Self.held, to: Self.other, now: then) }
        #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) { try breaking.change(id: Self.other, to: Self.held, now: then) }
        for start in [Start.available, .expired, .broken] {
            var (lease, at) = Self.lease(start)
            #expect(throws: Self.conflict("LeaseNotPresentWithLeaseOperation")) { try lease.change(id: Self.held, to: Self.other, now: at) }
        }
    }

    @Test func release() throws {
        for start in [Start.leased, .expired, .breaking, .broken] {
            var (lease, now) = Self.lease(start)
            #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) { try lease.release(id: Self.other) }
            try lease.release(id: Self.held)
            #expect(lease.state(at: now) == .available, "\(start)")
        }
        var (available, _) = Self.lease(.available)
        #expect(throws: Self.conflict("LeaseIdMismatchWithLeaseOperation")) { try available.release(id: Self.held) }
    }

    @Test func breakPeriods() throws {
        // A fixed lease breaks after the period or what is left of it, whichever is shorter.
        var fixed = BlobLease()
        _ = try fixed.acquire(proposed: Self.held, duration: .fixed(seconds: 30), now: Self.t0)
        #expect(try fixed.breakLease(period: 60, now: Self.t0.addingTimeInterval(10)) == 20)
        #expect(fixed.state(at: Self.t0.addingTimeInterval(29)) == .breaking)
        #expect(fixed.state(at: Self.t0.addingTimeInterval(30)) == .broken)
        var unnamed = BlobLease()
        _ = try unnamed.acquire(proposed: Self.held, duration: .fixed(seconds: 30), now: Self.t0)
        #expect(try unnamed.breakLease(period: nil, now: Self.t0) == 30, "no period: what is left")

        // An infinite lease: no period or 0 breaks at once.
        for period in [nil, 0] as [Int?] {
            var infinite = BlobLease()
            _ = try infinite.acquire(proposed: Self.held, duration: .infinite, now: Self.t0)
            #expect(try infinite.breakLease(period: period, now: Self.t0) == 0)
            #expect(infinite.state(at: Self.t0) == .broken)
        }
        var infinite = BlobLease()
        _ = try infinite.acquire(proposed: Self.held, duration: .infinite, now: Self.t0)
        #expect(try infinite.breakLease(period: 7, now: Self.t0) == 7)

        // A break under way can only be shortened.
        var (breaking, now) = Self.lease(.breaking)
        #expect(try breaking.breakLease(period: 30, now: now) == 9, "a longer period does not extend it")
        #expect(try breaking.breakLease(period: 2, now: now) == 2)
        #expect(breaking.state(at: now.addingTimeInterval(2)) == .broken)

        for start in [Start.expired, .broken] {
            var (lease, at) = Self.lease(start)
            #expect(try lease.breakLease(period: 10, now: at) == 0)
            #expect(lease.state(at: at) == .broken, "\(start)")
        }
        var (available, at) = Self.lease(.available)
        #expect(throws: Self.conflict("LeaseNotPresentWithLeaseOperation")) { try available.breakLease(period: nil, now: at) }
    }

    @Test(arguments: Start.allCases) func writesAndReads(start: Start) throws {
        let (lease, now) = Self.lease(start)
        let refused = { (code: String) in Refusal(status: 412, code: code) }
        if lease.isActive(at: now) {
            #expect(throws: refused("LeaseIdMissing")) { try lease.checkWrite(leaseID: nil, now: now) }
            #expect(throws: refused("LeaseIdMismatchWithBlobOperation")) { try lease.checkWrite(leaseID: Self.other, now: now) }
            try lease.checkWrite(leaseID: Self.held, now: now)
            #expect(throws: refused("LeaseIdMismatchWithBlobOperation")) { try lease.checkRead(leaseID: Self.other, now: now) }
            try lease.checkRead(leaseID: Self.held, now: now)
        } else {
            try lease.checkWrite(leaseID: nil, now: now)
            #expect(throws: refused("LeaseNotPresentWithBlobOperation")) { try lease.checkWrite(leaseID: Self.held, now: now) }
            #expect(throws: refused("LeaseNotPresentWithBlobOperation")) { try lease.checkRead(leaseID: Self.held, now: now) }
        }
        try lease.checkRead(leaseID: nil, now: now)
        let headers = Dictionary(uniqueKeysWithValues: lease.headers(at: now))
        #expect(headers["x-ms-lease-state"] == start.rawValue)
        #expect(headers["x-ms-lease-status"] == (lease.isActive(at: now) ? "locked" : "unlocked"))
        #expect(headers["x-ms-lease-duration"] == (start == .leased ? "fixed" : nil))
    }

    @Test func headerValues() throws {
        #expect(try BlobLease.duration("15") == .fixed(seconds: 15))
        #expect(try BlobLease.duration("60") == .fixed(seconds: 60))
        #expect(try BlobLease.duration("-1") == .infinite)
        for bad in ["1", "14", "61", "x"] {
            #expect(throws: Refusal.self) { try BlobLease.duration(bad) }
        }
        #expect(try BlobLease.breakPeriod(nil) == nil)
        #expect(try BlobLease.breakPeriod("60") == 60)
        #expect(throws: Refusal(status: 400, code: "InvalidHeaderValue")) { try BlobLease.breakPeriod("61") }
        #expect(try BlobLease.leaseID(Self.held.uppercased()) == Self.held)
        #expect(throws: Refusal(status: 400, code: "InvalidHeaderValue")) { try BlobLease.leaseID("node-1") }
    }

    /// The test control ends a running fixed lease at once and leaves every other lease alone.
    @Test func expireEndsOnlyARunningFixedLease() throws {
        var (leased, now) = Self.lease(.leased)
        let expiredLeased = leased.expire(now: now)
        #expect(expiredLeased)
        #expect(leased.state(at: now) == .expired)
        for start in [Start.available, .expired, .breaking, .broken] {
            var (lease, now) = Self.lease(start)
            let expiredOther = lease.expire(now: now)
            #expect(!expiredOther, "\(start)")
            #expect(lease.state(at: now).rawValue == start.rawValue)
        }
        var infinite = BlobLease()
        _ = try infinite.acquire(proposed: Self.held, duration: .infinite, now: Self.t0)
        let expiredInfinite = infinite.expire(now: Self.t0)
        #expect(!expiredInfinite)
    }
}
