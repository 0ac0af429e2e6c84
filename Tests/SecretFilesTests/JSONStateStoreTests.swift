import Foundation
import Glibc
import KeyRotation
import SecretFiles
import Testing

/// Records as the previous release wrote them (format 1, `Fixtures/state-v1`, written by that
/// release's `JSONStateStore`) are read, resumed where they stopped, and written back as format 2.
struct JSONStateStoreTests {
    private static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Fixtures/state-v1").path
    private static let t0 = Date(timeIntervalSince1970: 1_796_000_000)
    private static let due = t0.addingTimeInterval(86_400 * 30)

    /// A state directory holding the fixtures.
    private func storeOfFormatOne() throws -> (JSONStateStore, String) {
        let directory = try temporaryDirectory()
        try FileManager.default.createDirectory(atPath: directory + "/resources", withIntermediateDirectories: true)
        for name in try FileManager.default.contentsOfDirectory(atPath: Self.fixtures) {
            try FileManager.default.copyItem(atPath: Self.fixtures + "/" + name, toPath: directory + "/resources/" + name)
        }
        return (try JSONStateStore(stateDirectory: directory), directory)
    }

    private func policy(_ strategy: RotationStrategy) -> RotationPolicy {
        RotationPolicy(strategy: strategy, every: .seconds(86_400 * 30), grace: .seconds(3000), retryInitial: .seconds(30), retryMax: .seconds(3600))
    }

    @Test func roundTripsARecordAndRejectsACorruptOne() throws {
        let dir = try temporaryDirectory()
        let store = try JSONStateStore(stateDirectory: dir)
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        var record = ResourceState(
            resourceID: "/subscriptions/s/resourceGroups/g/providers/Microsoft.Communication/communicationServices/r",
            adoptedAt: at
        )
        let operation = LongRunningOperation(slot: .secondary, url: "https://arm/op/1", isAsyncOperation: false, acceptedAt: at)
        let regeneration = Regeneration(slot: .secondary, final: true, operation: operation, windowOpensAt: at.addingTimeInterval(60))
        record.step = .rotating(Rotation(startedAt: at, emergencySince: at.addingTimeInterval(1), phase: .regenerating(regeneration)))
        record.retry = Retry(at: at.addingTimeInterval(30), failures: 2, lastError: RecordedError(message: "ARM said no", code: "Conflict", at: at))
        record.publishedKey = KeyFingerprint(of: "k")
        try store.save(record, for: "r")
        #expect(try store.load("r") == record)
        record.step = .rotating(Rotation(startedAt: at, phase: .grace(until: at.addingTimeInterval(300), then: .primary)))
        record.retry = nil
        try store.save(record, for: "r")
        #expect(try store.load("r") == record)
        #expect(try store.load("missing") == nil)
        try "{not json".write(toFile: dir + "/resources/bad.json", atomically: false, encoding: .utf8)
        #expect(throws: FileSystemError.self) { try store.load("bad") }
        var info = stat()
        stat(dir + "/resources/r.json", &info)
        #expect(info.st_mode & 0o777 == 0o600)
    }

    @Test func aRotationStoppedInGraceResumesAfterTheUpgrade() throws {
        let (store, _) = try storeOfFormatOne()
        let record = try #require(try store.load("acs-grace"))
        let until = Date(timeIntervalSince1970: 1_798_595_600)
        #expect(
            record.step == .rotating(Rotation(startedAt: Date(timeIntervalSince1970: 1_798_592_060), phase: .grace(until: until, then: .primary)))
        )
        #expect(record.published == .secondary && record.rotations == 3 && record.regenerations == 7)
        #expect(record.publishedKey?.value == "sha256:5f1e2d3c4b5a6978" && record.retry == nil)
        var machine = RotationMachine(record: record, resourceID: record.resourceID, policy: policy(.full), now: until)
        #expect(machine.resume(now: until.addingTimeInterval(-60), fileIntact: true) == .sleep(until: until), "grace is waited out")
        #expect(machine.resume(now: until, fileIntact: true) == .regenerate(.primary), "then the key consumers left is regenerated")
    }

    @Test func aJournaledLongRunningRegenerationIsFollowedAfterTheUpgrade() throws {
        let (store, _) = try storeOfFormatOne()
        let record = try #require(try store.load("signalr-lro"))
        let operation = LongRunningOperation(
            slot: .secondary,
            url:
                "https://management.azure.com/subscriptions/00000000-0000-0000-0000-000000000001/providers/Microsoft.SignalRService/locations/westeurope/operationResults/5f0c8a3e-0000-4000-8000-000000000002?api-version=2024-03-01",
            isAsyncOperation: true,
            acceptedAt: Date(timeIntervalSince1970: 1_798_592_040)
        )
        let regeneration = Regeneration(
            slot: .secondary,
            final: false,
            operation: operation,
            windowOpensAt: Date(timeIntervalSince1970: 1_798_592_003)
        )
        #expect(record.step == .rotating(Rotation(startedAt: Date(timeIntervalSince1970: 1_798_592_005), phase: .regenerating(regeneration))))
        let retry = try #require(record.retry)
        #expect(retry.at == Date(timeIntervalSince1970: 1_798_592_036) && retry.failures == 1 && retry.lastError.code == nil)
        #expect(retry.lastError.message.hasPrefix("ARM answered 409 Conflict") && retry.lastError.at == Date(timeIntervalSince1970: 1_798_592_006))
        let now = Date(timeIntervalSince1970: 1_798_592_100)
        var machine = RotationMachine(record: record, resourceID: record.resourceID, policy: policy(.full), now: now)
        #expect(machine.resume(now: now, fileIntact: true) == .resumeRegeneration(operation), "followed, not asked for again")
    }

    @Test func anEmergencyUnderWayStaysAnEmergencyAfterTheUpgrade() throws {
        let (store, _) = try storeOfFormatOne()
        let record = try #require(try store.load("storage-emergency"))
        let since = Self.t0.addingTimeInterval(600)
        #expect(record.step == .rotating(Rotation(startedAt: since, emergencySince: since, phase: .publishing(slot: .secondary, final: false))))
        let now = since.addingTimeInterval(5)
        var machine = RotationMachine(record: record, resourceID: record.resourceID, policy: policy(.alternate), now: now)
        #expect(machine.resume(now: now, fileIntact: true) == .listKeys, "the new key is read again, not regenerated")
        let key = { (value: String) in AccessKey(value: Secret(value), connectionString: nil, endpoint: "https://st/", name: "k") }
        guard case .publish(let material) = machine.listed(AccessKeys(primary: key("p"), secondary: key("s")), now: now) else {
            Issue.record("the secondary is published")
            return
        }
        #expect(material.slot == .secondary)
        #expect(
            machine.published(material, fileDigest: KeyFingerprint(of: "s"), now: now) == .regenerate(.primary),
            "at once: an emergency waits for no grace"
        )
    }

    @Test func anIdleRecordStaysIdleAndEveryRecordIsWrittenBackInFormatTwo() throws {
        let (store, directory) = try storeOfFormatOne()
        let idle = try #require(try store.load("acs-idle"))
        #expect(idle.step == .idle && idle.nextDue == Self.due && idle.published == .primary && idle.primaryUnpublishedAt == nil)
        for name in ["acs-grace", "signalr-lro", "storage-emergency", "acs-idle"] {
            let record = try #require(try store.load(name))
            try store.save(record, for: name)
            let written = try String(contentsOfFile: directory + "/resources/\(name).json", encoding: .utf8)
            #expect(written.contains("\"formatVersion\":2"))
            #expect(try store.load(name) == record, "\(name) reads back as it was saved")
        }
    }

    @Test func aRecordOfANewerFormatIsRefusedWithWhatToDo() throws {
        let (store, directory) = try storeOfFormatOne()
        try #"{"formatVersion":3,"resourceID":"/x"}"#.write(toFile: directory + "/resources/future.json", atomically: false, encoding: .utf8)
        let error = try #require(throws: FileSystemError.self) { try store.load("future") }
        #expect(String(describing: error).contains("written by a newer keyrotd"))
    }
}
