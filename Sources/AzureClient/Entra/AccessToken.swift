import FoundationEssentials
import KeyRotation

/// A bearer token and when it expires.
public struct AccessToken: Sendable {
    /// The token (never logged).
    public var token: Secret
    /// When the issuer says it expires.
    public var expiresOn: Date
    /// When it was obtained.
    public var obtainedAt: Date

    /// Creates a token.
    public init(token: Secret, expiresOn: Date, obtainedAt: Date) {
        self.token = token
        self.expiresOn = expiresOn
        self.obtainedAt = obtainedAt
    }

    /// When to fetch a new one, as the Azure identity libraries do: at half-life for tokens that
    /// live two hours or more (managed identity hands out 24-hour tokens), otherwise five minutes
    /// before expiry (or at half-life if the token is shorter than ten minutes).
    public var refreshAt: Date {
        let lifetime = max(0, expiresOn.timeIntervalSince(obtainedAt))
        if lifetime >= 7200 { return obtainedAt.addingTimeInterval(lifetime / 2) }
        return expiresOn.addingTimeInterval(-min(300, lifetime / 2))
    }
}

/// A source of ARM bearer tokens, one per configured credential, with caching.
public protocol TokenCredential: Sendable {
    /// A token for `scope`, from the cache while it is fresh.
    func token(scope: String) async throws -> AccessToken
    /// A new token for `scope` that satisfies `claims` (a continuous access evaluation challenge);
    /// it replaces the cached one.
    func token(scope: String, claims: String) async throws -> AccessToken
    /// Forgets any cached token (after ARM answered `ExpiredAuthenticationToken`).
    func invalidate() async
}

/// Obtains tokens from one identity provider, without caching: a client secret, a certificate, a
/// federated token, a managed identity endpoint, or a chain of them.
public protocol TokenSource: Sendable {
    /// What this source is, for the journal and for errors ("managed identity (IMDS)").
    var name: String { get }
    /// Requests a new token for `scope`, carrying `claims` when a challenge asked for them.
    func fetchToken(scope: String, claims: String?) async throws -> AccessToken
}
