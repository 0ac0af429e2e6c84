import Foundation

/// What a started emulator tells its user: where it listens and the identity to use.
/// Printed as one JSON line by `keyrotd-emulator`. Holds the client secret by design: it is the
/// emulator's own test identity, never a real one.
public struct EmulatorInfo: Sendable, Codable {
    /// `https://127.0.0.1:PORT` (or http with `--plain-http`).
    public var baseURL: String
    /// The PEM file of the CA that signed the server certificate (nil for plain http).
    public var caFile: String?
    /// The tenant id.
    public var tenant: String
    /// The service principal's client id (Contributor on the subscription).
    public var clientID: String
    /// The service principal's secret.
    public var clientSecret: String
    /// A second principal with read-only access (its writes are refused with AuthorizationFailed).
    public var readerClientID: String
    /// The reader's secret.
    public var readerClientSecret: String
    /// The subscription id.
    public var subscription: String
    /// The resource ids.
    public var resources: [String]

    /// A keyrotd configuration that points at this emulator.
    ///
    /// - Parameters:
    ///   - secretFile: where the client secret is (the caller writes it there, mode 0600).
    ///   - directory: base for the `secrets` and `state` directories.
    public func keyrotdConfiguration(
        secretFile: String,
        directory: String,
        every: String,
        grace: String,
        jitter: String = "0s",
        strategy: String = "full",
        retryInitial: String = "2s",
        retryMax: String = "30s",
        requestTimeout: String = "30s",
        resourceLimit: Int? = nil
    ) -> String {
        var text = """
            # keyrotd configuration generated for the keyrotd emulator at \(baseURL).
            [daemon]
            secrets_dir = "\(directory)/secrets"
            state_dir = "\(directory)/state"
            concurrency = 8
            retry_initial = "\(retryInitial)"
            retry_max = "\(retryMax)"
            request_timeout = "\(requestTimeout)"

            """
        if let caFile { text += "tls_ca_file = \"\(caFile)\"\n" }
        text += """

            [credential.emulator]
            tenant = "\(tenant)"
            client_id = "\(clientID)"
            client_secret_file = "\(secretFile)"
            authority = "\(baseURL)"
            arm_endpoint = "\(baseURL)"
            scope = "\(baseURL)/.default"

            [defaults]
            strategy = "\(strategy)"
            every = "\(every)"
            grace = "\(grace)"
            jitter = "\(jitter)"
            mode = "0600"

            """
        for id in resources.prefix(resourceLimit ?? resources.count) {
            text += "\n[[resource]]\nid = \"\(id)\"\n"
        }
        return text
    }
}
