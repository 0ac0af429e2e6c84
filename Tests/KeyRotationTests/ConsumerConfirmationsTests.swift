import Foundation
import KeyRotation
import Logging
import Testing

struct ConsumerConfirmationsTests {

    @Test func anAckFileWithAnotherFingerprintIsNotAConfirmation() async throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ack-\(UUID().uuidString)").path
        defer { try? FileManager.default.removeItem(atPath: path) }
        let confirmations = ConsumerConfirmations(ackFiles: [path], command: nil, runner: ScriptedCheck())
        let fingerprint = KeyFingerprint(of: "new-key")
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == [path], "missing file")
        try KeyFingerprint(of: "old-key").value.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == [path])
        try fingerprint.value.write(toFile: path, atomically: true, encoding: .utf8)
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary).isEmpty)
    }

    /// Followers whose confirmations are scripted: a set per fingerprint, or a vault that does not answer.
    private actor ScriptedFollowers: FollowerConfirmationSource {
        struct Unreachable: Error, CustomStringConvertible {
            var description: String { "connection refused" }
        }
        var confirmed: [KeyFingerprint: Set<String>] = [:]
        var reachable = true
        func followers(confirming fingerprint: KeyFingerprint) async throws -> Set<String> {
            guard reachable else { throw Unreachable() }
            return confirmed[fingerprint] ?? []
        }
        func confirm(_ name: String, _ fingerprint: KeyFingerprint) { confirmed[fingerprint, default: []].insert(name) }
        func set(reachable: Bool) { self.reachable = reachable }
    }

    @Test func everyNamedFollowerMustConfirmThePublishedKeyAndAnUnreadableVaultConfirmsNobody() async throws {
        let source = ScriptedFollowers()
        let confirmations = ConsumerConfirmations(
            ackFiles: [],
            command: nil,
            followers: ["web-1", "web-2"],
            runner: ScriptedCheck(),
            followerSource: source
        )
        let fingerprint = KeyFingerprint(of: "new-key")
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == ["follower web-1", "follower web-2"])
        await source.confirm("web-2", fingerprint)
        await source.confirm("web-1", KeyFingerprint(of: "old-key"))
        await source.confirm("web-3", fingerprint)
        #expect(
            await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary) == ["follower web-1"],
            "the old key's confirmation and an unnamed follower's count for nothing"
        )
        await source.confirm("Web-1", fingerprint)
        #expect(await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary).isEmpty, "names are compared without case")
        await source.set(reachable: false)
        let missing = await confirmations.unconfirmed(fingerprint, resource: "r", slot: .primary)
        #expect(missing.count == 2 && missing.allSatisfy { $0.contains("the vault did not answer: connection refused") }, "\(missing)")
    }
}
