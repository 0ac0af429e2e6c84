import AzureClient
import DaemonExecutor
import FoundationEssentials
import KeyRotation
import SecretFiles

/// Polls the secret files and reports each change, with a consumer check of the new key.
actor SecretWatcher {
    private let configuration: Configuration
    private let transport: AsyncHTTPClientTransport
    /// Secret file changes seen so far.
    private(set) var changes = 0

    /// Watches the files of `configuration`, trusting `caFile` for the consumer check.
    init(configuration: Configuration, caFile: String?) {
        self.configuration = configuration
        self.transport = AsyncHTTPClientTransport(extraCAFile: caFile)
    }

    /// Polls until cancelled.
    func run() async {
        let consumer = ACSDataPlaneClient(transport: transport)
        var seen: [String: KeyFingerprint] = [:]
        let store = try? JSONStateStore(stateDirectory: configuration.daemon.stateDirectory)
        while !Task.isCancelled {
            for resource in configuration.resources {
                guard let bytes = AtomicFileWriter.read(resource.output, in: configuration.daemon.secretsDirectory) else { continue }
                let text = String(decoding: bytes, as: UTF8.self)
                guard let parsed = ACSDataPlaneClient.parse(Secret(text)) else { continue }
                let fingerprint = parsed.key.fingerprint
                guard seen[resource.name] != fingerprint else { continue }
                seen[resource.name] = fingerprint
                changes += 1
                let slot = (try? store?.load(resource.name))?.map(\.published.rawValue) ?? "?"
                let outcome = await consumer.createIdentity(connectionString: Secret(text))
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
