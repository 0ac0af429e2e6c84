import FoundationEssentials
import KeyRotation
import MetricsFile
import Testing

/// A snapshot's exposition: every family, a line per resource, values from the records.
struct MetricsSnapshotTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    /// A resource that published its secondary key an hour ago and is in grace until the primary is regenerated.
    func inGrace() -> ResourceMetrics {
        var record = ResourceState(resourceID: "/subscriptions/s/x", adoptedAt: now.addingTimeInterval(-86_400))
        record.step = .rotating(Rotation(startedAt: now.addingTimeInterval(-3660), phase: .grace(until: now.addingTimeInterval(600), then: .primary)))
        record.published = .secondary
        record.setUnpublished(.primary, at: now.addingTimeInterval(-3600))
        record.setUnpublished(.secondary, at: nil)
        record.rotations = 4
        record.lastRotation = now.addingTimeInterval(-90_000)
        let reason = WaitReason.grace(until: now.addingTimeInterval(600), then: .primary)
        return ResourceMetrics(name: "orders", type: "storage", record: record, failures: 2, waitReason: reason)
    }

    /// A resource still being adopted: no published key yet.
    func adopting() -> ResourceMetrics {
        ResourceMetrics(
            name: "new",
            type: "communication",
            record: ResourceState(resourceID: "/subscriptions/s/y", adoptedAt: now),
            failures: 0,
            waitReason: nil
        )
    }

    func exposition() -> String {
        MetricsSnapshot(
            resources: [inGrace(), adopting()],
            armRequests: [.init(operation: "listKeys", code: "200", count: 7), .init(operation: "regenerateKey", code: "429", count: 1)],
            writeBudgetRemaining: ["0000-sub": 198.6]
        ).exposition(now: now)
    }

    /// Every credential of every application with its end; a failing read is flagged, and keeps
    /// the figures of the last read that worked.
    @Test func applicationsShowEveryCredentialsEnd() {
        let text = MetricsSnapshot(
            resources: [],
            armRequests: [],
            writeBudgetRemaining: [:],
            applications: [
                ApplicationExpiry(
                    application: "billing",
                    credentials: [
                        .init(
                            kind: "password",
                            keyID: "k1",
                            displayName: "keyrotd billing primary 2026-12-08T00:00:00Z",
                            end: now.addingTimeInterval(86_400)
                        ),
                        .init(kind: "certificate", keyID: "k2", displayName: "CN=\"sso\"", end: now.addingTimeInterval(172_800)),
                    ],
                    readAt: now,
                    error: "Graph answered 403"
                ),
                ApplicationExpiry(application: "partner"),
            ]
        ).exposition(now: now)
        #expect(
            text.contains(
                #"keyrotd_application_credential_end_timestamp_seconds{application="billing",kind="password",key_id="k1",display_name="keyrotd billing primary 2026-12-08T00:00:00Z"} 1800086400"#
            )
        )
        #expect(text.contains(#"key_id="k2",display_name="CN=\"sso\""} 1800172800"#))
        #expect(text.contains(#"keyrotd_application_read_timestamp_seconds{application="billing"} 1800000000"#))
        #expect(text.contains(#"keyrotd_application_read_failing{application="billing"} 1"#))
        #expect(text.contains(#"keyrotd_application_read_failing{application="partner"} 0"#))
        #expect(!text.contains(#"keyrotd_application_read_timestamp_seconds{application="partner"}"#), "never read")
    }

    @Test func theKeyAgeIsTheTimeSinceThePublishedKeyTookOver() {
        let text = exposition()
        #expect(text.contains(#"keyrotd_key_age_seconds{resource="orders",type="storage"} 3600"#))
        #expect(!text.contains(#"keyrotd_key_age_seconds{resource="new""#), "no published key, no age")
    }

    @Test func countersAndTimestampsComeFromTheRecordAndTheRotator() {
        let text = exposition()
        #expect(text.contains(#"keyrotd_rotations_total{resource="orders",type="storage"} 4"#))
        #expect(text.contains(#"keyrotd_rotation_failures_total{resource="orders",type="storage"} 2"#))
        #expect(text.contains(#"keyrotd_last_rotation_timestamp_seconds{resource="orders",type="storage"} 1799910000"#))
        #expect(text.contains(#"keyrotd_next_rotation_timestamp_seconds{resource="orders",type="storage"} 1800000600"#), "the end of grace")
        #expect(text.contains(#"keyrotd_rotations_total{resource="new",type="communication"} 0"#))
    }

    @Test func eachResourceHasOneWaitingLinePerReasonAndOnlyItsReasonIsOne() {
        let lines = exposition().split(separator: "\n").filter { $0.hasPrefix("keyrotd_waiting{") }
        #expect(lines.count == 8)
        #expect(lines.filter { $0.hasSuffix(" 1") } == [#"keyrotd_waiting{resource="orders",type="storage",reason="grace"} 1"#])
    }

    @Test func armTrafficIsDaemonWide() {
        let text = exposition()
        #expect(text.contains(#"keyrotd_arm_requests_total{operation="listKeys",code="200"} 7"#))
        #expect(text.contains(#"keyrotd_arm_requests_total{operation="regenerateKey",code="429"} 1"#))
        #expect(text.contains("\nkeyrotd_arm_throttled_total 1\n"))
        #expect(text.contains(#"keyrotd_write_budget_remaining{subscription="0000-sub"} 198"#))
    }

    @Test func everyFamilyHasHelpAndTypeOnce() {
        let text = exposition()
        for (name, kind) in [
            ("keyrotd_key_age_seconds", "gauge"), ("keyrotd_rotations_total", "counter"), ("keyrotd_rotation_failures_total", "counter"),
            ("keyrotd_last_rotation_timestamp_seconds", "gauge"), ("keyrotd_next_rotation_timestamp_seconds", "gauge"),
            ("keyrotd_waiting", "gauge"), ("keyrotd_arm_requests_total", "counter"), ("keyrotd_arm_throttled_total", "counter"),
            ("keyrotd_write_budget_remaining", "gauge"),
        ] {
            #expect(text.components(separatedBy: "# TYPE \(name) \(kind)\n").count == 2, "\(name)")
            #expect(text.components(separatedBy: "# HELP \(name) ").count == 2, "\(name)")
        }
    }

    @Test func followersHaveTheirDeliveryChecksFailuresAndConfirmation() {
        let delivered = FollowerStatus(
            name: "web-1",
            source: "app in https://kv.vault.azure.net",
            file: "app.conn",
            version: "v1",
            fingerprint: "sha256:aaaaaaaaaaaaaaaa",
            deliveredAt: now.addingTimeInterval(-60),
            lastCheck: now.addingTimeInterval(-5),
            confirmed: true
        )
        let failing = FollowerStatus(name: "web-2", source: "app in https://kv.vault.azure.net", file: "app.conn", consecutiveFailures: 3)
        let text = MetricsSnapshot(resources: [], armRequests: [], writeBudgetRemaining: [:], followers: [delivered, failing]).exposition(now: now)
        #expect(text.contains(#"keyrotd_follower_delivered_timestamp_seconds{follower="web-1"} 1799999940"#))
        #expect(!text.contains(#"keyrotd_follower_delivered_timestamp_seconds{follower="web-2""#), "nothing delivered yet")
        #expect(text.contains(#"keyrotd_follower_last_check_timestamp_seconds{follower="web-1"} 1799999995"#))
        #expect(text.contains(#"keyrotd_follower_failures{follower="web-1"} 0"#) && text.contains(#"keyrotd_follower_failures{follower="web-2"} 3"#))
        #expect(text.contains(#"keyrotd_follower_confirmed{follower="web-1"} 1"#))
        #expect(!exposition().contains("keyrotd_follower"), "a host without followers has no follower families")
    }

    @Test func aGroupMemberShowsWhetherItLeadsAndHowLongTheGroupHasBeenWithoutALeader() {
        func text(_ group: MetricsSnapshot.Group) -> String {
            MetricsSnapshot(resources: [], armRequests: [], writeBudgetRemaining: [:], group: group).exposition(now: now)
        }
        let leading = text(.init(node: "node-a", leader: true, withoutLeader: .zero))
        #expect(leading.contains(#"keyrotd_group_leader{node="node-a"} 1"#))
        #expect(leading.contains(#"keyrotd_group_without_leader_seconds{node="node-a"} 0"#))
        let orphaned = text(.init(node: "node-b", leader: false, withoutLeader: .milliseconds(75_250)))
        #expect(orphaned.contains(#"keyrotd_group_leader{node="node-b"} 0"#))
        #expect(orphaned.contains(#"keyrotd_group_without_leader_seconds{node="node-b"} 75.25"#))
        #expect(!exposition().contains("keyrotd_group"), "a node outside a group has no group families")
    }
}
