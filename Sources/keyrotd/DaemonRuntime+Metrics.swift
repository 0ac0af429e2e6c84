import KeyRotation
import MetricsFile

extension DaemonRuntime {
    /// What the metrics file shows now: each configured resource's figures from its running
    /// rotator, the followers' statuses, the ARM traffic of every credential, and this node's role
    /// in its group.
    func metricsSnapshot(
        scheduler: RotationScheduler,
        followers: [FollowerStatus],
        group: LeaderCoordinator?,
        applications: [ApplicationExpiry]
    ) async -> MetricsSnapshot {
        var resources: [ResourceMetrics] = []
        resources.reserveCapacity(configuration.resources.count)
        for resource in configuration.resources {
            guard let rotator = await scheduler.rotator(named: resource.name) else { continue }
            resources.append(await rotator.metrics(type: resource.target.typeName))
        }
        let requests = await tally.requests
        return MetricsSnapshot(
            resources: resources,
            armRequests: requests.keys.sorted().map { .init(operation: $0.operation, code: $0.code, count: requests[$0]!) },
            writeBudgetRemaining: await writeBudgetRemaining(),
            followers: followers,
            group: group == nil ? nil : await groupFigures(group!),
            applications: applications
        )
    }

    private func groupFigures(_ coordinator: LeaderCoordinator) async -> MetricsSnapshot.Group {
        MetricsSnapshot.Group(
            node: coordinator.node,
            leader: await coordinator.holds(for: .zero),
            withoutLeader: await coordinator.timeWithoutLeader()
        )
    }
}
