import Foundation
import KeyRotation

/// A bearer token and when it expires.
public struct AccessToken: Sendable {
    /// The token (never logged).
    public var token: Secret
    /// When Entra ID says it expires.
    public var expiresOn: Date
    /// When it was obtained.
    public var obtainedAt: Date

    /// Creates a token.
    public init(token: Secret, expiresOn: Date, obtainedAt: Date) {
        self.token = token
        self.expiresOn = expiresOn
        self.obtainedAt = obtainedAt
    }

    /// When to fetch a new one: at half-life for short tokens, five minutes before expiry otherwise.
    public var refreshAt: Date {
        let lifetime = expiresOn.timeIntervalSince(obtainedAt)
        return expiresOn.addingTimeInterval(-min(300, max(0, lifetime / 2)))
    }
}

/// A source of ARM bearer tokens: one per configured credential. More kinds (certificate, managed
/// identity, workload identity) conform to this as they are added.
public protocol TokenCredential: Sendable {
    /// A token for `scope`, from the cache when still fresh.
    func token(scope: String) async throws -> AccessToken
    /// Forgets any cached token (after ARM answered `ExpiredAuthenticationToken`).
    func invalidate() async
}
