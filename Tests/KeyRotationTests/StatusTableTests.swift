import Foundation
import KeyRotation
import Testing

struct StatusTableTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func status(_ name: String, _ step: RotationStep, failures: Int = 0, adopted: Bool = true) -> ResourceStatus {
        var record = ResourceState(resourceID: "/x/\(name)", adoptedAt: now)
        record.step = adopted ? step : .adopting
        record.publishedKey = KeyFingerprint(of: name)
        record.nextDue = now.addingTimeInterval(3 * 86_400 + 4 * 3600)
        if failures > 0 {
            let error = RecordedError(
                message: "ARM regenerateKey on '\(name)' failed: HTTP 403 AuthorizationFailed",
                code: "AuthorizationFailed",
                at: now
            )
            record.retry = Retry(at: now.addingTimeInterval(60), failures: failures, lastError: error)
        }
        return ResourceStatus(name: name, record: record)
    }

    @Test func problemsComeFirstThenWorkThenIdleInConfigurationOrder() {
        let table = StatusTable([
            .init(status: status("calm-1", .idle), type: "communication"),
            .init(
                status: status("busy", .rotating(Rotation(startedAt: now, phase: .grace(until: now.addingTimeInterval(60), then: .primary)))),
                type: "storage"
            ),
            .init(status: status("broken", .idle, failures: 3), type: "servicebus"),
            .init(status: status("new", .idle, adopted: false), type: "redis"),
            .init(status: status("calm-2", .idle), type: "cosmosdb"),
        ])
        let lines = table.lines(now: now, colour: false)
        #expect(lines.map { $0.split(separator: " ").first.map(String.init) ?? "" } == ["RESOURCE", "broken", "new", "busy", "calm-1", "calm-2"])
        #expect(lines[1].contains("servicebus") && lines[1].contains("AuthorizationFailed") && lines[1].contains(" 3 "))
        #expect(lines[3].contains("in 1m"), "next in relative time: \(lines[3])")
        #expect(lines[4].contains("primary sha256:") && lines[4].contains("in 3d4h"))
        // Aligned: every column starts where the header's does.
        let typeColumn = lines[0].firstRange(of: "TYPE")!.lowerBound.utf16Offset(in: lines[0])
        for line in lines.dropFirst() {
            let type = line.dropFirst(typeColumn).prefix { $0 != " " }
            #expect(["communication", "storage", "servicebus", "redis", "cosmosdb"].contains(String(type)), "\(line)")
        }
        #expect(!lines.joined().contains("\u{1B}"), "no escape codes without colour")
    }

    @Test func colourMarksFailingRedAndWorkYellowWithoutMovingColumns() {
        let table = StatusTable([
            .init(status: status("broken", .idle, failures: 1), type: "storage"),
            .init(
                status: status("busy", .rotating(Rotation(startedAt: now, phase: .regenerating(Regeneration(slot: .secondary, final: false))))),
                type: "storage"
            ),
            .init(status: status("calm", .idle), type: "storage"),
        ])
        let plain = table.lines(now: now, colour: false)
        let coloured = table.lines(now: now, colour: true)
        #expect(coloured[1].hasPrefix("\u{1B}[31m") && coloured[2].hasPrefix("\u{1B}[33m") && !coloured[3].contains("\u{1B}"))
        let stripped = coloured.map { $0.replacing(/\u{1B}\[[0-9;]*m/, with: "") }
        #expect(stripped == plain)
    }

    @Test func followersFailingFirstWithTheirVersionAndConfirmation() {
        let healthy = FollowerStatus(
            name: "web-1",
            source: "app in https://kv.vault.azure.net",
            file: "app.conn",
            version: "0123456789abcdef",
            fingerprint: "sha256:aaaaaaaaaaaaaaaa",
            deliveredAt: now.addingTimeInterval(-120),
            confirmed: true
        )
        var failing = healthy
        failing.name = "web-2"
        failing.consecutiveFailures = 4
        failing.lastError = "connection refused"
        let lines = StatusTable.followerLines([healthy, failing], now: now, colour: true)
        #expect(lines.count == 3 && lines[1].hasPrefix("\u{1B}[31mweb-2") && lines[2].hasPrefix("web-1"), "\(lines)")
        #expect(lines[2].contains("01234567 sha256:aaaaaaaaaaaaaaaa") && lines[2].contains("2m ago") && lines[2].contains("yes"))
        #expect(lines[1].contains("connection refused") && lines[1].contains(" 4 "))

        #expect(FollowerStatus.summary([]) == nil)
        #expect(FollowerStatus.summary([healthy]) == "1 follower current")
        #expect(FollowerStatus.summary([healthy, failing]) == "1 of 2 followers failing")
        var fresh = healthy
        fresh.version = nil
        #expect(FollowerStatus.summary([healthy, fresh]) == "1 of 2 followers without a version yet")
    }
}
