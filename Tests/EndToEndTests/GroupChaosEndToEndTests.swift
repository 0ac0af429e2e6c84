import AzureClient
import AzureEmulator
import Foundation
import Glibc
import Testing

extension EndToEnd {
    /// Three keyrotd nodes of one group (15-s lease, no watchdog, each with its own directories)
    /// against the emulator, applications on every node reading their files and authenticating all
    /// the time, through: each node stopping itself as leader at an instrumented point (a
    /// regeneration's intent journaled, its freshness check ahead, its request carried out but
    /// not recorded) and held past its lease; the leader killed; the leader stopped at a random
    /// instant; lease renewals failing with 503, then 403, then hanging; storage unreachable for
    /// longer than the lease. The invariants are read from the emulator's own record.
    @Suite(.serialized)
    struct GroupChaosEndToEndTests {
        /// Each node's instrumented point.
        static let pausePoints = ["node-a": "after-intent", "node-b": "before-check", "node-c": "after-send"]
        /// Longer than the lease, shorter than the lease plus the quiet period a new leader waits.
        static let hold = Duration.seconds(17)

        @Test func threeNodesKeepEveryInvariantThroughKillsPausesAndStorageFaults() async throws {
            let scenario = try await Scenario(
                "chaos",
                emulatorArguments: ["--no-throttle", "--audit", "--types", "communication"],
                resources: 3,
                every: "3s",
                grace: "2s",
                requestTimeout: "3s"
            )
            try scenario.addVaultOutputs()
            let nodes = try scenario.groupNodes(["node-a", "node-b", "node-c"])
            let transport = AsyncHTTPClientTransport(extraCAFile: scenario.emulator.info.caFile)
            _ = try? await scenario.createGroupContainer(transport: transport)
            try await transport.shutdown()
            let group = Group(scenario: scenario, nodes: nodes)
            let consumers = nodes.map { Consumer(files: $0.files, caFile: scenario.emulator.info.caFile, grace: .seconds(2)) }
            let consuming = consumers.map { consumer in Task { await consumer.run() } }
            defer { for task in consuming { task.cancel() } }
            for node in nodes {
                try await group.start(node.name, environment: ["KEYROTD_TEST_PAUSE_AT": Self.pausePoints[node.name]!])
            }

            try await group.instrumentedPauses()
            try await group.killTheLeader()
            try await group.pauseTheLeaderAtRandom()
            try await group.failRenewals()
            try await group.cutStorageOff()
            try await group.rotationsGoOn("after the last fault")

            for consumer in consumers { await consumer.stop() }
            var authentications = 0
            for (node, consumer) in zip(nodes, consumers) {
                #expect(await consumer.violations == [], "\(node.name)")
                #expect(await consumer.malformed == [], "\(node.name)")
                #expect(await consumer.finalCheck().isEmpty, "\(node.name)")
                authentications += await consumer.accepted
            }
            let logs = await group.stopAll()
            // Each paused leader stepped down once it ran again, and a standby took over each time.
            for process in await group.resumed {
                #expect(process.stderr.contains("this node stopped leading the group ("), "\(process.stderr.suffix(3000))")
            }
            #expect(logs.contains("no node of the group is seen leading"), "storage cut off raises the alarm")
            let takeovers = logs.components(separatedBy: "this node leads the group").count - 1
            let record = AuditInvariants(try await scenario.emulator.audit(), grace: 2) { $0 + "-conn" }
            #expect(record.violations == [])
            #expect(record.publishedKeysReplaced > 0, "no regeneration replaced a published key: the check would prove nothing")
            let (kills, pauses) = (await group.kills, await group.pauses)
            print(
                "group chaos: \(kills) kills, \(pauses) pauses, \(takeovers) takeovers, \(record.regenerations) regenerations, "
                    + "\(authentications) consumer authentications, \(record.violations.count) invariant violations"
            )
            #expect(kills >= 1 && pauses >= 4 && takeovers >= 6 && authentications > 1000)
            for consumer in consumers { await consumer.close() }
            try await scenario.finish(
                excluding: Set(nodes.dropFirst().map { URL(fileURLWithPath: $0.config).deletingLastPathComponent().path + "/secrets" })
            )
        }

        /// The checker itself: each invariant it holds the record to can fail.
        @Test func theAuditCheckCatchesEachBrokenInvariant() {
            func version(_ at: Double, _ fingerprint: String, epoch: Int) -> AuditEvent {
                AuditEvent(at: at, kind: .versionCreated, secret: "r-conn", tags: ["keyrotd-fingerprint": fingerprint, "keyrotd-epoch": "\(epoch)"])
            }
            func regenerated(_ at: Double, _ fingerprint: String) -> AuditEvent {
                AuditEvent(at: at, kind: .regenerated, resource: "r", slot: "primary", replaced: fingerprint)
            }
            func journal(_ at: Double, epoch: Int) -> AuditEvent { AuditEvent(at: at, kind: .blobWritten, blob: "group/records/r", epoch: epoch) }
            let good = [version(0, "A", epoch: 1), journal(1, epoch: 1), version(2, "B", epoch: 1), regenerated(4.5, "A"), journal(5, epoch: 2)]
            let held = AuditInvariants(good, grace: 2) { $0 + "-conn" }
            #expect(held.violations == [] && held.publishedKeysReplaced == 1 && held.regenerations == 1)
            let published = AuditInvariants([version(0, "A", epoch: 1), regenerated(9, "A")], grace: 2) { $0 + "-conn" }
            #expect(published.violations.count == 1)
            let inGrace = AuditInvariants([version(0, "A", epoch: 1), version(2, "B", epoch: 1), regenerated(3, "A")], grace: 2) { $0 + "-conn" }
            #expect(inGrace.violations.count == 1)
            let staleWriter = AuditInvariants([journal(0, epoch: 2), journal(1, epoch: 1)], grace: 2) { $0 + "-conn" }
            #expect(staleWriter.violations.count == 1)
            let backwards = AuditInvariants([version(0, "A", epoch: 2), version(1, "B", epoch: 1)], grace: 2) { $0 + "-conn" }
            #expect(backwards.violations.count == 1)
        }
    }
}

/// The group's processes and what was done to them.
private actor Group {
    let scenario: Scenario
    let nodes: [GroupNode]
    /// The running process of each node.
    private(set) var running: [String: ChildProcess] = [:]
    /// Every process started, for the logs.
    private(set) var all: [ChildProcess] = []
    /// Processes continued after a pause.
    private(set) var resumed: [ChildProcess] = []
    private(set) var kills = 0
    private(set) var pauses = 0

    init(scenario: Scenario, nodes: [GroupNode]) {
        self.scenario = scenario
        self.nodes = nodes
    }

    func start(_ name: String, environment: [String: String] = [:]) throws {
        let node = nodes.first { $0.name == name }!
        let process = try scenario.startDaemon(label: "\(name)-\(all.count)", config: node.config, environment: environment)
        running[name] = process
        all.append(process)
    }

    /// The node that leads now, by its log (elections less step-downs), among the processes that
    /// run: a killed or stopped one's log still says it leads.
    var leader: String? {
        running.first { _, process in
            guard process.isRunning, !process.isStopped else { return false }
            let log = process.stderr
            return log.components(separatedBy: "this node leads the group").count
                > log.components(separatedBy: "this node stopped leading the group").count
        }?.key
    }

    private var regenerations: Int {
        get async throws { try await scenario.emulator.stats()["regenerations"] ?? 0 }
    }

    /// Waits until a leader regenerates again (after its quiet period).
    func rotationsGoOn(_ when: String) async throws {
        let before = try await regenerations
        try await scenario.wait(for: .seconds(90), "rotations to go on \(when)") { try await self.regenerations >= before + 2 }
    }

    /// Holds `name`'s stopped process past its lease, then continues it.
    private func holdAndContinue(_ name: String) async throws {
        try await Task.sleep(for: EndToEnd.GroupChaosEndToEndTests.hold)
        let process = running[name]!
        process.signal(SIGCONT)
        resumed.append(process)
        pauses += 1
    }

    /// Each node stops itself the first time it leads and reaches its instrumented point; each is
    /// held past its lease and continued. A leader that paused already is killed as soon as it
    /// leads (and restarted once another leads), so that every node gets its turn.
    func instrumentedPauses() async throws {
        var pending = Set(nodes.map(\.name))
        var seen: (name: String, since: ContinuousClock.Instant)?
        let deadline = ContinuousClock.now + .seconds(420)
        while !pending.isEmpty {
            guard ContinuousClock.now < deadline else { throw TestFailure("nodes \(pending.sorted()) never reached their pause point") }
            if let name = pending.first(where: { running[$0]!.isStopped }) {
                try await holdAndContinue(name)
                pending.remove(name)
                seen = nil
                continue
            }
            let leader = self.leader
            if leader != seen?.name { seen = leader.map { ($0, .now) } }
            if let current = seen, !pending.contains(current.name), ContinuousClock.now - current.since > .seconds(1) {
                try await kill(current.name)
                seen = nil
            }
            try await Task.sleep(for: .milliseconds(200))
        }
        try await rotationsGoOn("after the instrumented pauses")
    }

    /// SIGKILLs `name` and restarts it (without a pause point) once another node leads.
    private func kill(_ name: String) async throws {
        let process = running[name]!
        process.signal(SIGKILL)
        await process.wait()
        kills += 1
        try await scenario.wait(for: .seconds(60), "another node leads after \(name) was killed") {
            guard let leader = await self.leader else { return false }
            return leader != name
        }
        try start(name)
    }

    /// Kills the leader; a standby takes over and rotates on.
    func killTheLeader() async throws {
        let leader = try await currentLeader()
        try await kill(leader)
        try await rotationsGoOn("after \(leader) was killed")
    }

    /// Stops the leader at a random instant of its work, past its lease.
    func pauseTheLeaderAtRandom() async throws {
        let leader = try await currentLeader()
        try await Task.sleep(for: .milliseconds(Int.random(in: 0...3000)))
        running[leader]!.signal(SIGSTOP)
        try await holdAndContinue(leader)
        try await rotationsGoOn("after \(leader) was paused")
    }

    /// The leader's renewals fail with 503, then 403, then hang, until it steps down.
    func failRenewals() async throws {
        let leader = try await currentLeader()
        for answer in ["503", "403", "hang"] {
            try await scenario.emulator.control("/_emulator/storage-fault?answer=\(answer)&on=lease")
            try await Task.sleep(for: .seconds(answer == "hang" ? 8 : 4))
        }
        try await scenario.emulator.control("/_emulator/storage-fault")
        #expect(running[leader]!.stderr.contains("this node stopped leading the group (expired)"), "\(leader) kept leading")
        try await rotationsGoOn("after the renewals failed")
    }

    /// No storage for longer than the lease: no node leads, and then one does again.
    func cutStorageOff() async throws {
        _ = try await currentLeader()
        try await scenario.emulator.control("/_emulator/storage-fault?answer=reset&on=lease,blob")
        try await Task.sleep(for: .seconds(25))
        #expect(leader == nil, "a node still believes it leads without storage")
        try await scenario.emulator.control("/_emulator/storage-fault")
    }

    /// The node that leads once one does.
    private func currentLeader() async throws -> String {
        try await scenario.wait(for: .seconds(60), "a leader") { await self.leader != nil }
        return try #require(leader)
    }

    /// Stops every node and returns all their logs together.
    func stopAll() async -> String {
        for process in running.values { process.signal(SIGTERM) }
        for process in running.values { #expect(await process.wait(timeout: .seconds(20)) == 0, "\(process.stderr.suffix(2000))") }
        return all.map(\.stderr).joined(separator: "\n")
    }
}
