import FoundationEssentials

/// The token cache in front of a ``TokenSource``: one entry per scope, refreshed ahead of expiry,
/// and single-flight, so a thousand rotations starting together cause one token request.
public actor CachedCredential: TokenCredential {
    private let source: any TokenSource
    private let now: @Sendable () -> Date
    private var cached: [String: AccessToken] = [:]
    private var inflight: [String: Task<AccessToken, any Error>] = [:]
    /// Token requests sent to the source (for tests and benchmarks).
    public private(set) var fetches = 0

    /// What the source is, for logs.
    public nonisolated var sourceName: String { source.name }

    /// Creates the cache.
    public init(source: any TokenSource, now: @escaping @Sendable () -> Date = { Date() }) {
        self.source = source
        self.now = now
    }

    public func token(scope: String) async throws -> AccessToken {
        if let token = cached[scope], now() < token.refreshAt { return token }
        return try await fetch(scope: scope, claims: nil)
    }

    public func token(scope: String, claims: String) async throws -> AccessToken {
        try await fetch(scope: scope, claims: claims)
    }

    public func invalidate() {
        cached.removeAll()
    }

    private func fetch(scope: String, claims: String?) async throws -> AccessToken {
        let key = claims.map { scope + "\u{0}" + $0 } ?? scope
        if let task = inflight[key] { return try await Self.value(of: task) }
        fetches += 1
        let source = source
        let task = Task { try await source.fetchToken(scope: scope, claims: claims) }
        inflight[key] = task
        defer { inflight[key] = nil }
        let token = try await Self.value(of: task)
        cached[scope] = token
        return token
    }

    /// Awaits the shared request, which a cancelled waiter cancels: an unstructured task does not
    /// inherit cancellation, and a stop must not wait for a hanging token endpoint.
    private static func value(of task: Task<AccessToken, any Error>) async throws -> AccessToken {
        try await withTaskCancellationHandler {
            try await task.value
        } onCancel: {
            task.cancel()
        }
    }
}
