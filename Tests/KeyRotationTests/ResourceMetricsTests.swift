import FoundationEssentials
import KeyRotation
import Testing

/// A resource's figures for the metrics file, from its record and wait reason.
struct ResourceMetricsTests {
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func everyWaitReasonHasItsLabel() {
        let record = ResourceState(resourceID: "/subscriptions/s/x", adoptedAt: now)
        let cases: [(WaitReason, ResourceMetrics.Waiting)] = [
            (.grace(until: now, then: .primary), .grace), (.invariant(slot: .primary, until: now), .grace),
            (.retry(at: now, lastError: "x"), .retry), (.consumersUnconfirmed(["web"], slot: .secondary), .confirmation),
            (.window(opensAt: now), .window),
        ]
        for (reason, label) in cases {
            #expect(ResourceMetrics(name: "a", type: "storage", record: record, failures: 0, waitReason: reason).waiting == label, "\(reason)")
        }
        #expect(ResourceMetrics(name: "a", type: "storage", record: record, failures: 0, waitReason: nil).waiting == nil)
    }

    @Test func theKeyIsPublishedSinceTheOtherStoppedBeingPublished() {
        var record = ResourceState(resourceID: "/subscriptions/s/x", adoptedAt: now)
        #expect(record.publishedSince == nil, "no key is published while adopting")
        record.step = .idle
        #expect(record.publishedSince == now, "an adopted key counts from its adoption")
        record.published = .secondary
        record.setUnpublished(.primary, at: now.addingTimeInterval(100))
        record.setUnpublished(.secondary, at: nil)
        #expect(record.publishedSince == now.addingTimeInterval(100))
    }
}
