import AzureClient
import DaemonExecutor
import FoundationEssentials
import KeyRotation
import SecretFiles

/// Polls the secret files (ACS connection strings, or the `json` format of any type) and reports
/// each change, with a consumer check of the new key against its type's data plane.
actor SecretWatcher {
    private let configuration: Configuration
    private let transport: AsyncHTTPClientTransport
    private let caFile: String?
    /// Secret file changes seen so far.
    private(set) var changes = 0

    /// Watches the files of `configuration`, trusting `caFile` for the consumer check.
    init(configuration: Configuration, caFile: String?) {
        self.configuration = configuration
        self.transport = AsyncHTTPClientTransport(extraCAFile: caFile)
        self.caFile = caFile
    }

    /// Polls until cancelled.
    func run() async {
        let consumer = DataPlaneClient(transport: transport, extraCAFile: caFile, sleep: DaemonExecutor.sleep(for:))
        var seen: [String: KeyFingerprint] = [:]
        let store = try? JSONStateStore(stateDirectory: configuration.daemon.stateDirectory)
        while !Task.isCancelled {
            for resource in configuration.resources {
                guard let id = resource.armID else { continue }
                guard let bytes = AtomicFileWriter.read(resource.output, in: configuration.daemon.secretsDirectory) else { continue }
                let text = String(decoding: bytes, as: UTF8.self)
                let acs = ACSDataPlaneClient.parse(Secret(text)).map {
                    KeyMaterial(slot: .primary, key: $0.key, connectionString: Secret(text), endpoint: $0.endpoint, keyName: "")
                }
                guard let material = acs ?? KeyMaterial(json: bytes) else { continue }
                let fingerprint = material.key.fingerprint
                guard seen[resource.name] != fingerprint else { continue }
                seen[resource.name] = fingerprint
                changes += 1
                let slot = (try? store?.load(resource.name))?.map(\.published.rawValue) ?? "?"
                let outcome = await consumer.check(material, id: id)
                let verdict: String =
                    switch outcome {
                    case .accepted: "consumer check: accepted"
                    case .denied(let status): "consumer check: DENIED (HTTP \(status))"
                    case .failed(let reason): "consumer check: error (\(reason))"
                    }
                Terminal.out("\(Terminal.date(Date()))  \(resource.output): \(slot) key \(fingerprint)  \(verdict)")
            }
            try? await DaemonExecutor.sleep(for: .milliseconds(250))
        }
    }

    /// Closes the consumer's HTTP client.
    func shutdown() async {
        try? await transport.shutdown()
    }
}
