import KeyRotation

/// A transport that asks a ``MutationGuard`` before each request that may change something (any
/// method but GET and HEAD), immediately before it leaves, with the request's timeout as the
/// horizon: in a high-availability group the ARM and Key Vault clients of a node that no longer
/// leads send no write, however late in a step it lost the lease.
public struct GuardedTransport: HTTPTransport {
    private let base: any HTTPTransport
    private let mutationGuard: any MutationGuard

    /// Wraps `base`, asking `mutationGuard` before each write.
    public init(_ base: any HTTPTransport, guard mutationGuard: any MutationGuard) {
        self.base = base
        self.mutationGuard = mutationGuard
    }

    public func send(_ request: HTTPRequestData, timeout: Duration) async throws -> HTTPResponseData {
        if request.method != "GET" && request.method != "HEAD" { try await mutationGuard.permit(within: timeout) }
        return try await base.send(request, timeout: timeout)
    }
}
