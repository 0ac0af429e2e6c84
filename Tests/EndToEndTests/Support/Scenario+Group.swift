import AzureClient
import Foundation
import Logging

/// One node of a high-availability group in a scenario: its configuration, in its own state,
/// runtime and secrets directories, and the secret files an application on its host reads.
struct GroupNode: Sendable {
    /// The node's name (`[ha] node`).
    let name: String
    /// Its configuration file.
    let config: String
    /// The secret files it delivers, for a ``Consumer``.
    let files: [Consumer.File]
}

extension Scenario {
    /// Gives every resource of the scenario's configuration a Key Vault output, `NAME-conn`, whose
    /// consumers read it again every `consumerRefresh`.
    func addVaultOutputs(consumerRefresh: String = "1s") throws {
        var config = try String(contentsOfFile: configPath, encoding: .utf8)
        for resource in configuration.resources {
            config = config.replacingOccurrences(
                of: "id = \"\(resource.id.path)\"\n",
                with: "id = \"\(resource.id.path)\"\n\n[[resource.outputs]]\nkey_vault = \"\(emulator.info.keyVaultURL)\"\n"
                    + "secret = \"\(resource.name)-conn\"\nconsumer_refresh = \"\(consumerRefresh)\"\n"
            )
        }
        try config.write(toFile: configPath, atomically: true, encoding: .utf8)
    }

    /// Makes the scenario's configuration a group's, with its journal in the emulator's container
    /// `group`, and returns its nodes: the first in the scenario's own directories (its
    /// configuration is ``configPath``), each other one in `DIRECTORY/NAME`.
    func groupNodes(_ names: [String], leaseDuration: String = "15s") throws -> [GroupNode] {
        let config =
            try String(contentsOfFile: configPath, encoding: .utf8)
            + "\n[ha]\njournal = \"\(emulator.info.blobServiceURL)/group\"\ncredential = \"emulator\"\nnode = \"\(names[0])\"\nlease_duration = \"\(leaseDuration)\"\n"
        var nodes: [GroupNode] = []
        for (index, name) in names.enumerated() {
            let home = index == 0 ? directory : directory + "/" + name
            let path = index == 0 ? configPath : home + "/keyrotd.toml"
            try FileManager.default.createDirectory(atPath: home, withIntermediateDirectories: true)
            var text = config.replacingOccurrences(of: "node = \"\(names[0])\"", with: "node = \"\(name)\"")
            for kind in ["secrets", "state", "run"] {
                text = text.replacingOccurrences(of: "\"\(directory)/\(kind)\"", with: "\"\(home)/\(kind)\"")
            }
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let files = configuration.resources.map { Consumer.File(path: home + "/secrets/" + $0.output, id: $0.id) }
            nodes.append(GroupNode(name: name, config: path, files: files))
        }
        return nodes
    }

    /// Creates the group's container as the operator does (keyrotd's role need not allow it), as
    /// the emulator's writer principal, and returns the client.
    func createGroupContainer(transport: AsyncHTTPClientTransport) async throws -> BlobStorageClient {
        let info = emulator.info
        let endpoint = try EntraTokenEndpoint(
            authorityHost: URL(string: info.baseURL)!,
            tenant: info.tenant,
            clientID: info.clientID,
            transport: transport,
            sleep: { try await Task.sleep(for: $0) }
        )
        let storage = try BlobStorageClient(
            containerURL: URL(string: info.blobServiceURL + "/group")!,
            credential: CachedCredential(source: ClientSecretSource(endpoint: endpoint, secretFile: directory + "/client-secret")),
            transport: transport,
            sleep: { try await Task.sleep(for: $0) },
            logger: Logger(label: "operator")
        )
        guard try await storage.createContainer() else { throw TestFailure("the group's container existed already") }
        return storage
    }
}
