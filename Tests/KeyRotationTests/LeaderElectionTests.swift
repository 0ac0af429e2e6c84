import Foundation
import Testing

@testable import KeyRotation

/// The election on a lease: a standby acquires only a free lease, a leader renews every quarter
/// and trusts its lease from the send time of its last good renewal, and steps down on a conflict
/// or when that trust runs out — whatever the pauses, latencies and failures.
struct LeaderElectionTests {
    static let timing = LeaseTiming(duration: .seconds(60))

    static func at(_ seconds: Double) -> BootInstant { BootInstant(seconds: seconds) }

    /// A standby whose campaigns propose `lease-1`, `lease-2` …
    static func election(now: Double = 0, seed: UInt64 = 1) -> LeaderElection {
        LeaderElection(timing: timing, now: at(now), random: SplitMix64(seed: seed)) { random in
            "lease-\(random.next() % 1000)"
        }
    }

    /// A leader elected with an acquisition sent at `sentAt`.
    static func leader(sentAt: Double = 0) throws -> LeaderElection {
        var election = election(now: sentAt)
        #expect(election.next(now: at(sentAt)) == .readLease)
        let observed = election.observed(.free, now: at(sentAt))
        let action = try #require(observed)
        guard case .acquire(let proposed) = action else {
            Issue.record("a free lease is acquired, not \(action)")
            return election
        }
        election.acquired(id: proposed, sentAt: at(sentAt))
        return election
    }

    @Test func aStandbyReadsAtOnceAndAcquiresOnlyAFreeLease() throws {
        var election = Self.election()
        #expect(election.role(at: Self.at(0)) == .noLeader(since: Self.at(0)))
        #expect(election.next(now: Self.at(0)) == .readLease)
        #expect(election.observed(.held(by: "node-b"), now: Self.at(0)) == nil)
        #expect(election.role(at: Self.at(1)) == .standby(leader: "node-b"))
        // The next read is a quarter of the lease away, plus up to an eighth of jitter.
        guard case .wait(let until) = election.next(now: Self.at(1)) else {
            Issue.record("a standby waits between reads")
            return
        }
        #expect(until >= Self.at(15) && until <= Self.at(22.5))
        #expect(election.next(now: until) == .readLease)
        let observed = election.observed(.free, now: until)
        let action = try #require(observed)
        guard case .acquire(let proposed) = action else {
            Issue.record("a free lease is acquired")
            return
        }
        #expect(proposed.hasPrefix("lease-"))
        #expect(election.role(at: until) == .noLeader(since: until))
        election.acquired(id: proposed, sentAt: until)
        #expect(election.role(at: until) == .leader(since: until))
        #expect(election.leaseID == proposed)
        #expect(election.drainTransitions() == [.elected])
        #expect(election.drainTransitions().isEmpty)
    }

    /// While a read is out, nothing else is asked, and no wait ends in the past.
    @Test func aReadStillOutWaitsAheadOfNow() {
        var election = Self.election()
        #expect(election.next(now: Self.at(0)) == .readLease)
        for now in [1.0, 30, 300] {
            guard case .wait(let until) = election.next(now: Self.at(now)) else {
                Issue.record("a node with a read out waits")
                return
            }
            #expect(until > Self.at(now))
        }
    }

    @Test func aLostCampaignGoesBackToReading() throws {
        var election = Self.election()
        _ = election.next(now: Self.at(0))
        let observed = election.observed(.free, now: Self.at(0))
        _ = try #require(observed)
        election.acquisitionFailed(now: Self.at(1))
        #expect(election.leaseID == nil)
        guard case .wait(let until) = election.next(now: Self.at(1)) else {
            Issue.record("a lost campaign waits before reading again")
            return
        }
        #expect(until >= Self.at(3) && until <= Self.at(10.5))
        #expect(election.next(now: until) == .readLease)
    }

    @Test func aLeaderRenewsEveryQuarterAndTrustsFromTheSendTime() throws {
        var election = try Self.leader()
        let id = try #require(election.leaseID)
        #expect(election.next(now: Self.at(14.9)) == .wait(until: Self.at(15)))
        #expect(election.next(now: Self.at(15)) == .renew(id: id))
        // While the renewal is out, nothing more is sent; the wait ends with the trust.
        #expect(election.next(now: Self.at(16)) == .wait(until: Self.at(55)))
        election.renewed(sentAt: Self.at(15))
        // Trusted until 15 + 55 s: a request that may take 10 s can go until just before 60.
        #expect(election.holds(at: Self.at(59.9), for: .seconds(10)))
        #expect(!election.holds(at: Self.at(60), for: .seconds(10)))
        #expect(election.holds(at: Self.at(69.9), for: .zero))
        #expect(election.next(now: Self.at(30)) == .renew(id: id))
    }

    @Test func aLeaderWhoseRenewalsFailRetriesSoonAndStepsDownWhenItsTrustEnds() throws {
        var election = try Self.leader()
        let id = try #require(election.leaseID)
        var now = 15.0
        while now < 55 {
            #expect(election.next(now: Self.at(now)) == .renew(id: id))
            election.renewalFailed(now: Self.at(now + 0.5))
            #expect(election.holds(at: Self.at(now + 0.5), for: .zero))
            now += 2.5
        }
        _ = election.next(now: Self.at(55))
        #expect(!election.holds(at: Self.at(55), for: .zero))
        #expect(election.leaseID == nil)
        #expect(election.drainTransitions() == [.elected, .steppedDown(.expired)])
        #expect(election.role(at: Self.at(55)) == .noLeader(since: Self.at(55)))
    }

    @Test func aConflictOnRenewalLosesTheLeaseAtOnce() throws {
        var election = try Self.leader()
        _ = election.next(now: Self.at(15))
        election.lost(now: Self.at(15.2))
        #expect(!election.holds(at: Self.at(15.2), for: .zero))
        #expect(election.drainTransitions() == [.elected, .steppedDown(.lost)])
    }

    /// A process stopped past its trust (SIGSTOP, a suspended VM) steps down before it does
    /// anything else when it runs again, and a renewal answered late changes nothing.
    @Test func aLeaderPausedPastItsTrustStepsDownFirst() throws {
        var election = try Self.leader()
        let id = try #require(election.leaseID)
        #expect(election.next(now: Self.at(15)) == .renew(id: id))
        let after = election.next(now: Self.at(300))
        #expect(after != .renew(id: id))
        #expect(!election.holds(at: Self.at(300), for: .zero))
        election.renewed(sentAt: Self.at(15))
        #expect(!election.holds(at: Self.at(300), for: .zero))
        #expect(election.leaseID == nil)
        #expect(election.drainTransitions() == [.elected, .steppedDown(.expired)])
    }

    @Test func stopReleasesOnlyALeadersLease() throws {
        var leader = try Self.leader()
        let id = try #require(leader.leaseID)
        #expect(leader.stop(now: Self.at(5)) == .release(id: id))
        #expect(!leader.holds(at: Self.at(5), for: .zero))
        #expect(leader.drainTransitions() == [.elected, .steppedDown(.released)])
        leader.releaseEnded()
        #expect(leader.next(now: Self.at(6)) == .wait(until: Self.at(66)))
        var standby = Self.election()
        #expect(standby.stop(now: Self.at(0)) == nil)
        #expect(standby.next(now: Self.at(0)) != .readLease)
    }

    @Test func aLeaderNotSeenForALeaseIsGoneFromTheStandbysView() throws {
        var election = Self.election()
        _ = election.next(now: Self.at(0))
        _ = election.observed(.held(by: "node-b"), now: Self.at(0))
        election.observationFailed(now: Self.at(20))
        #expect(election.role(at: Self.at(59)) == .standby(leader: "node-b"))
        #expect(election.role(at: Self.at(61)) == .noLeader(since: Self.at(60)))
    }

    @Test func eachCampaignProposesAFreshRandomUUID() {
        var random = SplitMix64(seed: 7)
        let ids = (0..<100).map { _ in LeaderElection.uuid(&random) }
        #expect(Set(ids).count == 100)
        for id in ids {
            #expect(UUID(uuidString: id) != nil && id == id.lowercased(), "\(id)")
            #expect(Array(id)[14] == "4")
        }
    }

    @Test func timingsThatCannotHoldALeaseAreRefused() {
        #expect(LeaseTiming(duration: .seconds(15)).problem == nil)
        #expect(LeaseTiming(duration: .seconds(60)).problem == nil)
        #expect(LeaseTiming(duration: .seconds(14)).problem != nil)
        #expect(LeaseTiming(duration: .seconds(61)).problem != nil)
        var rare = LeaseTiming(duration: .seconds(15))
        rare.renewEvery = .seconds(9)
        #expect(rare.problem != nil)
    }

    /// Against a model of Blob Storage's lease (timed from each request's arrival, renewable
    /// after expiry until another node takes it), with random latencies, failures, hangs, pauses
    /// and a rival that acquires whenever the lease is free: whenever the node believes it holds
    /// the lease for a horizon, the service's lease is its own and runs past that horizon.
    @Test(arguments: 0..<40 as Range<UInt64>)
    func beliefNeverOutlivesTheServicesLease(seed: UInt64) throws {
        var random = SplitMix64(seed: seed &+ 1000)
        var election = LeaderElection(timing: Self.timing, now: Self.at(0), random: SplitMix64(seed: seed))
        var service: (holder: String, expires: Double)? = nil
        var now = 0.0
        var elected = 0
        func unit() -> Double { Double(random.next() % 1_000_000) / 1_000_000 }
        func check() {
            let horizon = unit() * 20
            guard election.holds(at: Self.at(now), for: .milliseconds(Int64(horizon * 1000))) else { return }
            #expect(service?.holder == election.leaseID && (service?.expires ?? 0) > now + horizon, "seed \(seed) at \(now)")
        }
        for _ in 0..<400 {
            // Time passes: usually a little, sometimes a pause far past the lease.
            now += unit() < 0.03 ? 30 + unit() * 120 : unit() * 8
            if let lease = service, lease.expires <= now, unit() < 0.3 { service = ("rival", now + 60) }
            check()
            switch election.next(now: Self.at(now)) {
            case .wait:
                continue
            case .readLease:
                if unit() < 0.1 {
                    election.observationFailed(now: Self.at(now))
                    continue
                }
                let free = service.map { $0.expires <= now } ?? true
                guard let action = election.observed(free ? .free : .held(by: service?.holder), now: Self.at(now)),
                    case .acquire(let proposed) = action
                else { continue }
                let sent = now
                let arrival = now + unit() * 3
                if service.map({ $0.expires <= arrival }) ?? true {
                    service = (proposed, arrival + 60)
                    now = arrival + unit() * 3
                    election.acquired(id: proposed, sentAt: Self.at(sent))
                    elected += 1
                } else {
                    now = arrival + unit() * 3
                    election.acquisitionFailed(now: Self.at(now))
                }
            case .renew(let id):
                let sent = now
                let roll = unit()
                if roll < 0.15 {
                    now += 10  // a timeout
                    election.renewalFailed(now: Self.at(now))
                    continue
                }
                let arrival = now + unit() * 3
                if roll < 0.3 {
                    now = arrival + unit()
                    election.renewalFailed(now: Self.at(now))  // a 5xx
                } else if service?.holder == id, service.map({ $0.expires > arrival }) ?? false || roll < 0.9 {
                    service = (id, arrival + 60)
                    now = arrival + unit() * 3
                    election.renewed(sentAt: Self.at(sent))
                } else {
                    now = arrival + unit()
                    election.lost(now: Self.at(now))
                }
            case .acquire, .release:
                Issue.record("unexpected action")
            }
            check()
        }
        #expect(elected > 0, "seed \(seed): the node never led")
    }

    /// With answers in time, a leader never steps down.
    @Test func aLeaderWithTimelyRenewalsNeverStepsDown() throws {
        var election = try Self.leader()
        var now = 0.0
        for _ in 0..<2000 {
            now += 0.7
            if case .renew = election.next(now: Self.at(now)) {
                election.renewed(sentAt: Self.at(now))
            }
        }
        #expect(election.drainTransitions() == [.elected])
        #expect(election.holds(at: Self.at(now), for: .seconds(30)))
    }
}
