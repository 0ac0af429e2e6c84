import Foundation
import KeyRotation
import SecretFiles
import Testing

struct SecretFilePublisherTests {
    private let material = KeyMaterial(
        slot: .secondary,
        key: Secret("a2V5LW1hdGVyaWFs"),
        connectionString: Secret("endpoint=https://chat.communication.azure.com/;accesskey=a2V5LW1hdGVyaWFs"),
        endpoint: "https://chat.communication.azure.com/",
        keyName: "Secondary"
    )
    private let resource = ResourceConfiguration(
        name: "chat",
        id: ResourceID(subscription: "s", resourceGroup: "g", name: "chat"),
        credential: "c",
        output: "chat.conn"
    )

    @Test func writesEveryOutputInItsLayoutAndNoticesAMissingOne() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        var resource = resource
        let template = try SecretTemplate(parsing: "ACS__Endpoint={{endpoint}}\nACS__Key={{ key }}\nACS__Slot={{keyType}}\nACS__At={{rotatedAt}}\n")
        resource.additionalOutputs = [
            SecretOutput(file: "chat.properties", format: .connectionString, template: template, envName: "X", mode: 0o600, group: nil),
            SecretOutput(file: "chat.json", format: .json, envName: "X", mode: 0o640, group: nil),
        ]
        let at = Date(timeIntervalSince1970: 1_800_000_000)
        let publisher = try SecretFilePublisher(resource: resource, directory: directory, now: { at })
        let digest = try await publisher.publish(
            material,
            step: .rotating(Rotation(startedAt: at, phase: .publishing(slot: .secondary, final: false)))
        )
        #expect(await publisher.currentDigest() == digest)
        let read = { (name: String) in (try? String(contentsOfFile: directory + "/" + name, encoding: .utf8)) ?? "" }
        #expect(read("chat.conn") == material.value.exposedValue + "\n")
        #expect(
            read("chat.properties")
                == "ACS__Endpoint=https://chat.communication.azure.com/\nACS__Key=a2V5LW1hdGVyaWFs\nACS__Slot=secondary\nACS__At=2027-01-15T08:00:00Z\n"
        )
        #expect(read("chat.json").contains("\"keyType\": \"secondary\""))
        try FileManager.default.removeItem(atPath: directory + "/chat.json")
        #expect(await publisher.currentDigest() == nil, "a missing output means the files need repairing")
    }

    @Test func aSingleOutputKeepsTheDigestOfItsBytes() async throws {
        let directory = try temporaryDirectory()
        defer { try? FileManager.default.removeItem(atPath: directory) }
        let digest = try await SecretFilePublisher(resource: resource, directory: directory).publish(material, step: .adopting)
        #expect(
            digest == KeyFingerprint(bytes: Array((material.value.exposedValue + "\n").utf8)),
            "records from before several outputs stay valid"
        )
    }
}
