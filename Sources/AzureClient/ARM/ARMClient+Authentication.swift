import FoundationEssentials
import Logging

extension ARMClient {
    /// What one request has done about its token: a refresh or a claims challenge is answered once.
    struct Authentication {
        /// The token was refreshed (expired) or re-requested with claims (CAE) already.
        var renewed = false
        /// The claims a continuous access evaluation challenge asked for, for the next token.
        var claims: String?
    }

    /// The `Authorization` header value: the cached token, or a new one carrying challenge claims.
    func bearer(_ authentication: inout Authentication) async throws -> String {
        let token: AccessToken
        if let claims = authentication.claims {
            token = try await credential.token(scope: scope, claims: claims)
            authentication.claims = nil
        } else {
            token = try await credential.token(scope: scope)
        }
        return "Bearer " + token.token.exposedValue
    }

    /// The two 401s a new token answers, each once per request: a continuous access evaluation
    /// challenge (ask for a token with its claims) and `ExpiredAuthenticationToken` (refresh). Any
    /// other 401 is final: a wrong tenant or scope does not heal by asking again.
    func recovers(from response: HTTPResponseData, _ error: ARMError, _ authentication: inout Authentication, _ log: Logger) async -> Bool {
        guard response.status == 401, !authentication.renewed else { return false }
        if let claims = Self.insufficientClaims(response) {
            authentication.renewed = true
            authentication.claims = claims
            log.notice("ARM asked for a token with new claims (continuous access evaluation); requesting one")
            return true
        }
        if error.code == "ExpiredAuthenticationToken" {
            authentication.renewed = true
            await credential.invalidate()
            log.notice("ARM token expired; refreshing once")
            return true
        }
        return false
    }

    /// The claims of a CAE challenge (`WWW-Authenticate: Bearer …, error="insufficient_claims",
    /// claims="<base64 JSON>"`), decoded, or `nil` when the 401 is no such challenge.
    static func insufficientClaims(_ response: HTTPResponseData) -> String? {
        guard let claims = BearerChallenge(response.header("WWW-Authenticate"))?.claims, isJSON(Array(claims.utf8)) else { return nil }
        return claims
    }
}
