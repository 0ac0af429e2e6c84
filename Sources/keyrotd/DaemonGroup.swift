import AzureClient
import DaemonExecutor
import FoundationEssentials
import KeyRotation
import Logging
import Systemd

/// The daemon's part in a high-availability group (`[ha]`): the coordinator that campaigns for
/// the group's lease, the journal a leader takes over, and what follows each change of role —
/// rotators built for the leadership, or none.
struct DaemonGroup: Sendable {
    /// The election, a service of the daemon's group.
    let coordinator: LeaderCoordinator
    /// The group's journal.
    let journal: BlobGroupJournal
    /// The group's settings.
    let settings: HighAvailability

    /// The group cannot be joined.
    struct Unavailable: Error, CustomStringConvertible {
        /// Why.
        var description: String
    }

    /// Wires the group of `settings`: two clients on its container as its credential (the lease's
    /// with one attempt per call and a timeout of a quarter of the lease, the journal's with the
    /// daemon's retries), the lease backend and the coordinator, whose status `statusLine` shows.
    static func make(_ settings: HighAvailability, runtime: DaemonRuntime, statusLine: StatusLine, logger: Logger) async throws -> DaemonGroup {
        guard let credential = await runtime.credential(named: settings.credential) else {
            throw Unavailable(description: "[ha] names credential '\(settings.credential)', which keyrotd could not build")
        }
        let daemon = await runtime.configuration.daemon
        let transport = await runtime.httpTransport
        let sleep: @Sendable (Duration) async throws -> Void = { try await DaemonExecutor.sleep(for: $0) }
        func client(retry: RetryPolicy, timeout: Duration) throws -> BlobStorageClient {
            try BlobStorageClient(
                containerURL: settings.journal,
                credential: credential,
                transport: transport,
                retry: retry,
                timeout: timeout,
                sleep: sleep,
                logger: logger
            )
        }
        let journal = BlobGroupJournal(client: try client(retry: RetryPolicy(), timeout: daemon.requestTimeout))
        let timing = LeaseTiming(duration: settings.leaseDuration)
        let clock = SystemBootClock(sleep: sleep)
        let coordinator = LeaderCoordinator(
            group: settings.journal.absoluteString,
            node: settings.node,
            election: LeaderElection(timing: timing, now: clock.now()),
            backend: BlobLeaseBackend(client: try client(retry: RetryPolicy(maxAttempts: 1), timeout: timing.renewEvery), node: settings.node),
            clock: clock,
            logger: logger,
            beforeRelease: { id in
                do {
                    try await journal.release(leaseID: id)
                } catch {
                    logger.notice("noting the clean release in the group's journal failed", metadata: .fields([.error: "\(error)"]))
                }
            },
            onStatus: { status in statusLine.update { $0.group = status.text } }
        )
        return DaemonGroup(coordinator: coordinator, journal: journal, settings: settings)
    }

    /// Follows the coordinator's changes until it ends: on election, takes the journal over and
    /// hands the scheduler the leadership's rotators (resigning when the takeover fails); on a
    /// step-down, takes them away. The coordinator's status (and so the status line) says how far
    /// the leadership got.
    func follow(runtime: DaemonRuntime, scheduler: RotationScheduler, logger: Logger) async {
        for await change in coordinator.changes {
            switch change {
            case .elected(let leaseID):
                do {
                    let names = await runtime.configuration.resources.map(\.name)
                    let snapshot = try await journal.takeOver(leaseID: leaseID, node: settings.node, resources: names)
                    if !snapshot.releasedCleanly && snapshot.epoch > 1 {
                        // The former leader may have a request in flight that outlives its lease:
                        // nothing is sent until its lease and that request's timeout have passed.
                        let quiet = settings.leaseDuration + (await runtime.configuration.daemon.requestTimeout)
                        await coordinator.leading(
                            epoch: snapshot.epoch,
                            rotating: false,
                            note: "quiet for \(DurationFormat.format(quiet)) until the former leader's requests are over"
                        )
                        logger.notice(
                            "the former leader did not release the group cleanly; waiting out its lease and request timeout before acting",
                            metadata: .fields([.group: .string(coordinator.group), .retryInMilliseconds: "\(quiet.milliseconds)"])
                        )
                        try await DaemonExecutor.sleep(for: quiet)
                        guard await coordinator.holds(for: .zero) else { continue }
                    }
                    let (store, moved) = try await JournalStateStore.takingOver(
                        snapshot: snapshot,
                        journal: journal,
                        local: await runtime.store,
                        resources: names
                    )
                    if !moved.isEmpty {
                        logger.notice(
                            "moved \(moved.count) records of this host's state directory into the group's journal; their rotations go on from there",
                            metadata: .fields([.group: .string(coordinator.group), .resources: .string(moved.joined(separator: ","))])
                        )
                    }
                    let leadership = DaemonWiring.Leadership(
                        store: TestPausePoint.wrap(store),
                        mutationGuard: coordinator,
                        epoch: snapshot.epoch
                    )
                    await scheduler.replace(rotators: try await runtime.lead(leadership))
                    await coordinator.leading(epoch: snapshot.epoch, rotating: true, note: nil)
                } catch {
                    logger.error(
                        "cannot take the group's journal over; giving the lease up",
                        metadata: .fields([.group: .string(coordinator.group), .error: "\(error)"])
                    )
                    await coordinator.resign()
                }
            case .steppedDown:
                do {
                    await scheduler.replace(rotators: try await runtime.standDown())
                } catch {
                    // Nothing to build for a standby can fail but a credential; no rotator runs either way.
                    await scheduler.replace(rotators: [])
                    logger.error("cannot rebuild as a standby", metadata: .fields([.error: "\(error)"]))
                }
            }
        }
    }
}
