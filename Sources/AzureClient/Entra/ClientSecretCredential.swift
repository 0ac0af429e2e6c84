import Foundation
import KeyRotation
import Logging

/// A service principal with a client secret, read from a file (normally a systemd credential) each
/// time a token is requested, so a replaced secret file takes effect without a restart. Tokens are
/// cached and shared: concurrent callers wait for one request.
public actor ClientSecretCredential: TokenCredential {
    private let tenant: String
    private let clientID: String
    private let secretFile: String
    private let authorityHost: URL
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> Date
    private let timeout: Duration
    private var cached: [String: AccessToken] = [:]
    private var inflight: [String: Task<AccessToken, any Error>] = [:]
    /// Token requests actually sent (for tests and benchmarks).
    public private(set) var requestsSent = 0

    /// Creates the credential.
    public init(
        tenant: String,
        clientID: String,
        secretFile: String,
        authorityHost: URL,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(),
        timeout: Duration = .seconds(30),
        sleep: @escaping @Sendable (Duration) async throws -> Void = { try await Task.sleep(for: $0) },
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.tenant = tenant
        self.clientID = clientID
        self.secretFile = secretFile
        self.authorityHost = authorityHost
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.now = now
    }

    public func token(scope: String) async throws -> AccessToken {
        if let token = cached[scope], now() < token.refreshAt { return token }
        if let task = inflight[scope] { return try await task.value }
        let task = Task { try await self.fetch(scope: scope) }
        inflight[scope] = task
        defer { inflight[scope] = nil }
        let token = try await task.value
        cached[scope] = token
        return token
    }

    public func invalidate() {
        cached.removeAll()
    }

    private func fetch(scope: String) async throws -> AccessToken {
        let secret = try readSecret()
        var host = authorityHost.absoluteString
        while host.hasSuffix("/") { host.removeLast() }
        guard let url = URL(string: "\(host)/\(tenant)/oauth2/v2.0/token") else {
            throw EntraError(
                status: 0,
                error: "invalid_authority",
                errorDescription: "cannot build the token URL",
                tenant: tenant,
                clientID: clientID
            )
        }
        let form = [
            ("grant_type", "client_credentials"), ("client_id", clientID), ("client_secret", secret.exposedValue), ("scope", scope),
        ].map { "\($0.0)=\(Self.formEncode($0.1))" }.joined(separator: "&")
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
            attempt += 1
            let started = now()
            let response: HTTPResponseData
            do {
                requestsSent += 1
                response = try await transport.send(request, timeout: timeout)
            } catch let error as TransportError {
                guard let delay = retry.delay(after: error, attempt: attempt) else { throw error }
                try await sleep(delay)
                continue
            }
            if response.status == 200 {
                return try decodeToken(response, obtainedAt: started)
            }
            if let delay = retry.delay(after: response, attempt: attempt) {
                try await sleep(delay)
                continue
            }
            throw decodeError(response)
        }
    }

    private func readSecret() throws -> Secret {
        guard let data = FileManager.default.contents(atPath: secretFile) else {
            throw EntraError(
                status: 0,
                error: "secret_unreadable",
                errorDescription: "cannot read the client secret file \(secretFile) (with systemd, check LoadCredential=)",
                tenant: tenant,
                clientID: clientID
            )
        }
        var text = String(decoding: data, as: UTF8.self)
        while let last = text.last, last.isNewline || last == " " { text.removeLast() }
        guard !text.isEmpty else {
            throw EntraError(
                status: 0,
                error: "secret_empty",
                errorDescription: "the client secret file \(secretFile) is empty",
                tenant: tenant,
                clientID: clientID
            )
        }
        return Secret(text)
    }

    private struct TokenResponse: Decodable {
        var access_token: String
        var expires_in: FlexibleNumber?
        var expires_on: FlexibleNumber?
    }

    private struct ErrorBody: Decodable {
        var error: String?
        var error_description: String?
        var trace_id: String?
    }

    private func decodeToken(_ response: HTTPResponseData, obtainedAt: Date) throws -> AccessToken {
        guard let body = try? JSONDecoder().decode(TokenResponse.self, from: Data(response.body)), !body.access_token.isEmpty else {
            throw EntraError(
                status: 200,
                error: "malformed_response",
                errorDescription: "the token response is not the expected JSON",
                tenant: tenant,
                clientID: clientID
            )
        }
        let expiresOn: Date
        if let on = body.expires_on?.value {
            expiresOn = Date(timeIntervalSince1970: on)
        } else {
            expiresOn = obtainedAt.addingTimeInterval(body.expires_in?.value ?? 3600)
        }
        return AccessToken(token: Secret(body.access_token), expiresOn: expiresOn, obtainedAt: obtainedAt)
    }

    private func decodeError(_ response: HTTPResponseData) -> EntraError {
        let body = try? JSONDecoder().decode(ErrorBody.self, from: Data(response.body))
        let description = body?.error_description?.split(separator: "\n").first.map(String.init) ?? ""
        return EntraError(
            status: response.status,
            error: body?.error ?? "http_\(response.status)",
            errorDescription: String(description.prefix(300)),
            traceID: body?.trace_id,
            tenant: tenant,
            clientID: clientID
        )
    }

    /// Percent-encodes a form field value (RFC 3986 unreserved characters pass).
    static func formEncode(_ text: String) -> String {
        var allowed = CharacterSet.alphanumerics
        allowed.insert(charactersIn: "-._~")
        return text.addingPercentEncoding(withAllowedCharacters: allowed) ?? ""
    }
}

/// A JSON number that some token endpoints send as a string (`"expires_in": "3599"`).
struct FlexibleNumber: Decodable {
    /// The number.
    var value: Double

    /// Decodes a number or a numeric string.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let d = try? container.decode(Double.self) {
            value = d
        } else if let s = try? container.decode(String.self), let d = Double(s) {
            value = d
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number")
        }
    }
}
