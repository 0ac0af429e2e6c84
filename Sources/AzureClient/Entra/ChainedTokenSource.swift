import FoundationEssentials

/// `kind = "auto"`: the sources the environment offers, tried in order until one gives a token.
/// Sources the environment does not configure are recorded with the reason, so the final error
/// names every source and why it did not work.
public struct ChainedTokenSource: TokenSource {
    /// A source, or why it is not available here.
    public enum Link: Sendable {
        /// A configured source.
        case available(any TokenSource)
        /// A source skipped: its name and the reason.
        case unavailable(String, reason: String)
    }

    private let links: [Link]

    /// Creates the chain.
    public init(_ links: [Link]) {
        self.links = links
    }

    public var name: String {
        let names = links.compactMap { if case .available(let source) = $0 { source.name } else { nil } }
        return "auto (" + (names.isEmpty ? "nothing configured" : names.joined(separator: ", then ")) + ")"
    }

    public func fetchToken(scope: String, claims: String?) async throws -> AccessToken {
        var attempts: [(source: String, reason: String)] = []
        for link in links {
            switch link {
            case .unavailable(let source, let reason):
                attempts.append((source, reason))
            case .available(let source):
                do {
                    return try await source.fetchToken(scope: scope, claims: claims)
                } catch is CancellationError {
                    throw CancellationError()
                } catch let error as CredentialError {
                    attempts.append((error.source, error.problem + (error.advice.isEmpty ? "" : " (\(error.advice))")))
                } catch {
                    attempts.append((source.name, "\(error)"))
                }
            }
        }
        throw CredentialChainError(attempts: attempts)
    }
}
