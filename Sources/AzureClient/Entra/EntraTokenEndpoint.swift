import FoundationEssentials
import KeyRotation

/// The Entra ID v2 token endpoint of one tenant, for the client-credentials grant: what the client
/// secret, certificate and workload identity sources have in common. Retries 408/429/5xx and
/// connection failures; decodes `AADSTS` refusals into ``EntraError``.
public struct EntraTokenEndpoint: Sendable {
    /// The tenant.
    public let tenant: String
    /// The application (client) id.
    public let clientID: String
    /// `{authority}/{tenant}/oauth2/v2.0/token`, also the `aud` of client assertions.
    public let url: URL
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let timeout: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> Date

    /// The value of `client_assertion_type` for JWT assertions.
    static let jwtBearer = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"

    /// Creates the endpoint; fails when the authority and tenant make no URL.
    public init(
        authorityHost: URL,
        tenant: String,
        clientID: String,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(30),
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        now: @escaping @Sendable () -> Date = { Date() }
    ) throws {
        var host = authorityHost.absoluteString
        while host.hasSuffix("/") { host.removeLast() }
        guard let url = URL(string: "\(host)/\(tenant)/oauth2/v2.0/token") else {
            throw CredentialError(source: "Entra ID", problem: "cannot build a token URL from '\(host)' and tenant '\(tenant)'")
        }
        self.url = url
        self.tenant = tenant
        self.clientID = clientID
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.now = now
    }

    /// The current time, as the sources see it (assertions are stamped with it).
    var currentDate: Date { now() }

    /// Requests a token for `scope`, proving the client with `proof` (`client_secret` or
    /// `client_assertion_type` + `client_assertion`); `proofKind` ("client secret", "certificate",
    /// "federated token") chooses the advice in a refusal.
    public func requestToken(scope: String, claims: String?, proof: [(String, String)], proofKind: String) async throws -> AccessToken {
        do {
            return try await send(scope: scope, claims: claims, proof: proof)
        } catch var error as EntraError {
            error.proof = proofKind
            throw error
        }
    }

    private func send(scope: String, claims: String?, proof: [(String, String)]) async throws -> AccessToken {
        var fields = [("grant_type", "client_credentials"), ("client_id", clientID)] + proof + [("scope", scope)]
        if let claims { fields.append(("claims", claims)) }
        let form = fields.map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
        let request = HTTPRequestData(
            method: "POST",
            url: url,
            headers: [
                ("Content-Type", "application/x-www-form-urlencoded"), ("Accept", "application/json"),
                ("client-request-id", UUID().uuidString.lowercased()),
            ],
            body: Array(form.utf8)
        )
        var attempt = 0
        while true {
            let started = now()
            let response = try await transport.send(request, timeout: timeout, retry: retry, attempt: &attempt, sleep: sleep)
            if response.status == 200 {
                guard let token = TokenResponse.decode(response.body, obtainedAt: started) else {
                    throw EntraError(
                        status: 200,
                        error: "malformed_response",
                        errorDescription: "the token response is not the expected JSON",
                        tenant: tenant,
                        clientID: clientID
                    )
                }
                return token
            }
            if let delay = retry.delay(after: response, attempt: attempt) {
                try await sleep(delay)
                continue
            }
            let body = OAuthErrorBody.decode(response.body)
            throw EntraError(
                status: response.status,
                error: body?.error ?? "http_\(response.status)",
                errorDescription: body?.error_description ?? "",
                traceID: body?.trace_id,
                tenant: tenant,
                clientID: clientID
            )
        }
    }

    /// Percent-encodes a form field value (RFC 3986 unreserved characters pass).
    static func formEncode(_ text: String) -> String {
        var encoded = ""
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "."), UInt8(ascii: "_"), UInt8(ascii: "~"):
                encoded.unicodeScalars.append(Unicode.Scalar(byte))
            default:
                encoded += "%" + (byte < 16 ? "0" : "") + String(byte, radix: 16, uppercase: true)
            }
        }
        return encoded
    }
}
