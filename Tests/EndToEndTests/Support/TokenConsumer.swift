import AzureClient
import Foundation
import KeyRotation
import SecretFiles
import Synchronization

/// An application that signs in with the client secret in its file, as azure-identity's
/// `ClientSecretCredential` would: it re-reads the file and asks the token endpoint for a token
/// every `pause`. Every refusal is recorded with its AADSTS code.
actor TokenConsumer {
    private let file: String
    private let clientID: String
    private let endpoint: EntraTokenEndpoint
    private let scope: String
    /// Whether the file holds a key and certificate (PEM) rather than a secret.
    private let certificate: Bool
    private(set) var accepted = 0
    private(set) var refusals: [String] = []
    /// Every secret read, for the leak scan.
    private(set) var seenSecrets: Set<String> = []
    private var stopped = false

    /// The transports stay referenced until the process ends (see `Consumer`).
    private static let transports = Mutex<[AsyncHTTPClientTransport]>([])

    /// Signs in as `clientID` of `tenant` at the emulator `baseURL` with the secret in `file`.
    init(file: String, clientID: String, tenant: String, baseURL: String, caFile: String?, certificate: Bool = false) throws {
        self.certificate = certificate
        let transport = AsyncHTTPClientTransport(extraCAFile: caFile)
        Self.transports.withLock { $0.append(transport) }
        self.file = file
        self.clientID = clientID
        self.scope = baseURL + "/.default"
        self.endpoint = try EntraTokenEndpoint(
            authorityHost: URL(string: baseURL)!,
            tenant: tenant,
            clientID: clientID,
            transport: transport,
            retry: RetryPolicy(maxAttempts: 1),
            sleep: { try await Task.sleep(for: $0) }
        )
    }

    /// Signs in every `pause` until stopped (nothing while the file does not exist yet).
    func run(pause: Duration = .milliseconds(100)) async {
        while !stopped && !Task.isCancelled {
            await signIn()
            try? await Task.sleep(for: pause)
        }
    }

    /// Stops the loop.
    func stop() { stopped = true }

    private func signIn() async {
        guard let data = FileManager.default.contents(atPath: file) else { return }
        let secret = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !secret.isEmpty else { return }
        seenSecrets.insert(secret)
        let source: any TokenSource =
            certificate
            ? ClientCertificateSource(endpoint: endpoint, certificateFile: file, privateKeyFile: file, algorithm: .ps256)
            : ClientSecretSource(endpoint: endpoint, secret: Secret(secret))
        do {
            _ = try await source.fetchToken(scope: scope, claims: nil)
            accepted += 1
        } catch let error as EntraError {
            refusals.append("\(Date()): \(error.errorDescription.prefix(60))")
        } catch {
            refusals.append("\(Date()): \(error)")
        }
    }
}
