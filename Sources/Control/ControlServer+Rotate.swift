import FoundationEssentials
import KeyRotation

extension ControlServer {
    /// Starts the rotations and reports every step of each resource as it happens, until each has
    /// completed, failed, or (without `wait`) has to wait: for grace, a retry, or the invariant.
    func rotate(_ request: ControlRequest, _ writer: ReplyWriter) async throws {
        if let refusal = await group()?.refusal {
            try await writer.send(ControlReply(error: refusal))
            return
        }
        var failed = 0
        var followed: [(String, ResourceRotator, UInt64, AsyncStream<StepReport>)] = []
        for name in request.names {
            guard let rotator = await scheduler.rotator(named: name) else {
                failed += 1
                try await writer.send(ControlReply(resource: name, outcome: "unknown", message: "not configured"))
                continue
            }
            // Watch first, so no step is missed.
            let (id, reports) = await rotator.observe()
            followed.append((name, rotator, id, reports))
        }
        await scheduler.requestRotation(of: followed.map(\.0), emergency: request.emergency)
        try await withThrowingTaskGroup(of: Bool.self) { group in
            for (name, rotator, id, reports) in followed {
                group.addTask {
                    defer { Task { await rotator.stopObserving(id) } }
                    return try await follow(name, rotator, reports, request, writer)
                }
            }
            for try await ok in group where !ok { failed += 1 }
        }
        try await writer.send(ControlReply(done: true, failed: failed))
    }

    /// Relays one resource's reports; returns whether its rotation went as asked.
    private func follow(
        _ name: String,
        _ rotator: ResourceRotator,
        _ reports: AsyncStream<StepReport>,
        _ request: ControlRequest,
        _ writer: ReplyWriter
    ) async throws -> Bool {
        let start = await rotator.record
        // Without `wait`, a resource that has to wait (grace, a retry, the invariant) ends the report:
        // checked whenever nothing happened for a second.
        return try await withThrowingTaskGroup(of: Bool?.self) { group in
            group.addTask {
                var started = false
                for await report in reports {
                    try await writer.send(ControlReply(resource: name, step: report.step.description, message: report.message))
                    switch report.event {
                    case .rotationStarted:
                        started = true
                    case .rotationCompleted:
                        return true
                    case .failed:
                        try await writer.send(ControlReply(resource: name, step: report.step.description, outcome: "failed", message: report.message))
                        return false
                    case .published where !started && start.step == .adopting && report.step == .idle:
                        // A resource never seen before was adopted first; now rotate it as asked.
                        await scheduler.requestRotation(of: [name], emergency: request.emergency)
                    default:
                        break
                    }
                }
                return nil
            }
            if !request.wait {
                group.addTask {
                    while true {
                        try await sleep(.seconds(1))
                        if let reason = await rotator.waitReason() {
                            try await writer.send(ControlReply(resource: name, outcome: "waiting", message: reason.description))
                            return true
                        }
                    }
                }
            }
            let result = try await group.next() ?? nil
            group.cancelAll()
            if result == nil {
                // The reports ended without an outcome: the daemon is stopping.
                try await writer.send(
                    ControlReply(
                        resource: name,
                        outcome: "interrupted",
                        message: "the daemon is stopping; the rotation resumes from its recorded step when it starts again"
                    )
                )
            }
            let record = await rotator.record
            if result == true, record.rotations > start.rotations {
                let status = ResourceStatus(name: name, record: record)
                try await writer.send(
                    ControlReply(
                        resource: name,
                        outcome: "rotated",
                        message: "\(status.published ?? "-") key published (\(status.publishedFingerprint ?? "-"))"
                    )
                )
            }
            return result ?? false
        }
    }
}
