import FoundationEssentials
import KeyRotation
import Logging

/// Proves an application's new client secret, or certificate, at the token endpoint before it is
/// published.
///
/// Entra replicates a new secret for seconds to minutes and documents no bound: a first token
/// proves only that one replica knows it. The secret passes once ``successes`` token requests in a
/// row succeeded and their span reached `settle`; a refusal starts the count again. It fails when
/// that has not happened within `patience`: the publish step then fails and is retried, and the
/// outputs keep the secret that works.
public final class TokenGrantVerifier: KeyVerifier {
    /// Token grants in a row a secret needs.
    public let successes: Int
    /// Whether the material is a key and certificate (PEM), signing client assertions, rather than a secret.
    private let certificate: Bool
    private let authorityHost: URL
    private let tenant: String
    private let scope: String
    private let settle: Duration
    private let interval: Duration
    private let patience: Duration
    private let transport: any HTTPTransport
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> ContinuousClock.Instant
    private let logger: Logger

    /// Creates the verifier of secrets of applications in `tenant`, asking tokens for `scope`
    /// every `interval`.
    public init(
        authorityHost: URL,
        tenant: String,
        scope: String,
        settle: Duration,
        certificate: Bool = false,
        successes: Int = 3,
        interval: Duration = .seconds(1),
        patience: Duration = .seconds(900),
        transport: any HTTPTransport,
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        now: @escaping @Sendable () -> ContinuousClock.Instant = { .now },
        logger: Logger
    ) {
        self.authorityHost = authorityHost
        self.tenant = tenant
        self.scope = scope
        self.settle = settle
        self.certificate = certificate
        self.successes = max(1, successes)
        self.interval = interval
        self.patience = patience
        self.transport = transport
        self.sleep = sleep
        self.now = now
        self.logger = logger
    }

    /// Returns once `material`'s secret (for the client id in its `keyName`) settled.
    public func verify(_ material: KeyMaterial) async throws {
        let endpoint = try EntraTokenEndpoint(
            authorityHost: authorityHost,
            tenant: tenant,
            clientID: material.keyName,
            transport: transport,
            retry: RetryPolicy(maxAttempts: 1),
            sleep: sleep
        )
        let source: any TokenSource =
            certificate
            ? ClientCertificateSource(endpoint: endpoint, pem: material.key, algorithm: .ps256)
            : ClientSecretSource(endpoint: endpoint, secret: material.key)
        let started = now()
        var streak = 0
        var streakStart = started
        var refusals = 0
        var lastRefusal = "none"
        while true {
            do {
                _ = try await source.fetchToken(scope: scope, claims: nil)
                if streak == 0 { streakStart = now() }
                streak += 1
                if streak >= successes, now() - streakStart >= settle {
                    logger.debug(
                        "the new secret settled at the token endpoint",
                        metadata: .fields([.fingerprint: .string(material.fingerprint.value), .failures: .stringConvertible(refusals)])
                    )
                    return
                }
            } catch let error as EntraError {
                streak = 0
                refusals += 1
                lastRefusal = String(error.errorDescription.prefix(while: { $0 != ":" }))
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                streak = 0
                refusals += 1
                lastRefusal = "\(error)"
            }
            if now() - started >= patience {
                throw SecretNotSettled(clientID: material.keyName, waited: patience, refusals: refusals, lastRefusal: lastRefusal)
            }
            try await sleep(interval)
        }
    }
}

/// A new secret was still refused by the token endpoint, now and then, after the verifier's patience.
public struct SecretNotSettled: CodedError, CustomStringConvertible {
    /// The application.
    public var clientID: String
    /// How long the verifier tried.
    public var waited: Duration
    /// Refusals seen.
    public var refusals: Int
    /// The last refusal's AADSTS code or error.
    public var lastRefusal: String

    public var code: String { "secret-not-settled" }

    public var description: String {
        "the new client secret of application \(clientID) was still refused after \(DurationFormat.format(waited)) "
            + "(\(refusals) refusals, the last \(lastRefusal)); it is not published, the outputs keep the secret that works, and the step is retried"
    }
}
