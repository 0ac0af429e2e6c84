import FoundationEssentials
import Glibc
import KeyRotation
import SystemPackage

/// A managed identity: Azure hands out tokens from a local endpoint, no secret needed. Which
/// endpoint is decided by the environment, in azure-identity's order: App Service and Container
/// Apps (`IDENTITY_ENDPOINT` + `IDENTITY_HEADER`), Azure Arc (`IDENTITY_ENDPOINT` +
/// `IMDS_ENDPOINT`), otherwise the VM's IMDS. These requests never go through a proxy.
public struct ManagedIdentitySource: TokenSource {
    /// Where tokens come from.
    public enum Endpoint: Sendable {
        /// The instance metadata service of a VM, VM scale set or AKS node.
        case imds(URL)
        /// App Service, Functions or Container Apps, with the secret header they set.
        case appService(URL, header: Secret)
        /// An Azure Arc-connected server; the key file answering its challenge must be in `keyDirectory`.
        case arc(URL, keyDirectory: String)
    }

    /// Where Arc's agent puts the challenge files on Linux.
    public static let arcKeyDirectory = "/var/opt/azcmagent/tokens"
    /// The largest challenge file Arc writes.
    static let arcKeyLimit = 4096

    private let endpoint: Endpoint
    private let identity: CredentialConfiguration.UserAssignedIdentity?
    private let transport: any HTTPTransport
    private let retry: RetryPolicy
    private let timeout: Duration
    private let sleep: @Sendable (Duration) async throws -> Void
    private let now: @Sendable () -> Date

    /// Creates the source. `transport` must allow plain HTTP to link-local addresses and use no proxy.
    /// The metadata endpoints are local and answer in milliseconds, so a short timeout and few
    /// attempts tell "not on Azure" from "slow" quickly (a refused connection is retried by
    /// AsyncHTTPClient until the timeout).
    public init(
        endpoint: Endpoint,
        identity: CredentialConfiguration.UserAssignedIdentity?,
        transport: any HTTPTransport,
        retry: RetryPolicy = RetryPolicy(maxAttempts: 4, base: .seconds(1), cap: .seconds(20)),
        timeout: Duration = .seconds(3),
        sleep: @escaping @Sendable (Duration) async throws -> Void,
        now: @escaping @Sendable () -> Date = { Date() }
    ) {
        self.endpoint = endpoint
        self.identity = identity
        self.transport = transport
        self.retry = retry
        self.timeout = timeout
        self.sleep = sleep
        self.now = now
    }

    /// The endpoint the environment points at, or a reason none can be used.
    public static func endpoint(environment: [String: String], arcKeyDirectory: String = Self.arcKeyDirectory) throws -> Endpoint {
        let source = "managed identity"
        if let identityEndpoint = environment["IDENTITY_ENDPOINT"], !identityEndpoint.isEmpty {
            guard let url = URL(string: identityEndpoint), url.host != nil else {
                throw CredentialError(source: source, problem: "IDENTITY_ENDPOINT '\(identityEndpoint)' is not a URL")
            }
            if environment["IDENTITY_SERVER_THUMBPRINT"] != nil {
                throw CredentialError(source: source, problem: "Service Fabric managed identity is not supported", advice: "use a service principal")
            }
            if let header = environment["IDENTITY_HEADER"], !header.isEmpty { return .appService(url, header: Secret(header)) }
            if environment["IMDS_ENDPOINT"] != nil { return .arc(url, keyDirectory: arcKeyDirectory) }
            throw CredentialError(
                source: source,
                problem: "IDENTITY_ENDPOINT is set without IDENTITY_HEADER (App Service) or IMDS_ENDPOINT (Arc)",
                advice: "check the service's environment"
            )
        }
        var host = environment["AZURE_POD_IDENTITY_AUTHORITY_HOST"].flatMap { $0.isEmpty ? nil : $0 } ?? "http://169.254.169.254"
        while host.hasSuffix("/") { host.removeLast() }
        guard let url = URL(string: host + "/metadata/identity/oauth2/token") else {
            throw CredentialError(source: source, problem: "AZURE_POD_IDENTITY_AUTHORITY_HOST '\(host)' is not a URL")
        }
        return .imds(url)
    }

    public var name: String {
        let which =
            switch identity {
            case .clientID(let id)?: " \(id)"
            case .objectID(let id)?: " object \(id)"
            case .resourceID(let id)?: " \(id.split(separator: "/").last.map(String.init) ?? id)"
            case nil: ""
            }
        switch endpoint {
        case .imds: return "managed identity\(which) (IMDS)"
        case .appService: return "managed identity\(which) (App Service)"
        case .arc: return "managed identity (Azure Arc)"
        }
    }

    public func fetchToken(scope: String, claims: String?) async throws -> AccessToken {
        // Managed identity endpoints take the v1 resource, not a v2 scope.
        let resource = scope.hasSuffix("/.default") ? String(scope.dropLast(".default".count)) : scope
        var query: [(String, String)] = [("resource", resource)]
        var headers: [(String, String)] = [("Accept", "application/json")]
        let base: URL
        switch endpoint {
        case .imds(let url):
            base = url
            query.insert(("api-version", "2018-02-01"), at: 0)
            headers.append(("Metadata", "true"))
            switch identity {
            case .clientID(let id)?: query.append(("client_id", id))
            case .objectID(let id)?: query.append(("object_id", id))
            case .resourceID(let id)?: query.append(("msi_res_id", id))
            case nil: break
            }
        case .appService(let url, let header):
            base = url
            query.insert(("api-version", "2019-08-01"), at: 0)
            headers.append(("X-IDENTITY-HEADER", header.exposedValue))
            switch identity {
            case .clientID(let id)?: query.append(("client_id", id))
            case .objectID(let id)?: query.append(("principal_id", id))
            case .resourceID(let id)?: query.append(("mi_res_id", id))
            case nil: break
            }
        case .arc(let url, _):
            base = url
            query.insert(("api-version", "2020-06-01"), at: 0)
            headers.append(("Metadata", "true"))
            if identity != nil {
                throw CredentialError(
                    source: name,
                    problem: "Azure Arc supports only the system-assigned identity",
                    advice: "remove client_id, object_id and resource_id"
                )
            }
        }
        guard var components = URLComponents(url: base, resolvingAgainstBaseURL: false) else {
            throw CredentialError(source: name, problem: "the endpoint \(base) is not a URL")
        }
        components.queryItems = (components.queryItems ?? []) + query.map { URLQueryItem(name: $0.0, value: $0.1) }
        guard let url = components.url, let scheme = url.scheme, let host = url.host,
            EndpointPolicy.allows(scheme: scheme, host: host, metadata: true)
        else {
            throw CredentialError(
                source: name,
                problem: "refusing the endpoint \(base)",
                advice: "plain http is allowed only to loopback and link-local metadata addresses"
            )
        }
        var request = HTTPRequestData(method: "GET", url: url, headers: headers)
        var attempt = 0
        var answeredChallenge = false
        while true {
            let started = now()
            let response: HTTPResponseData
            do {
                response = try await transport.send(request, timeout: timeout, retry: retry, attempt: &attempt, sleep: sleep)
            } catch let error as TransportError {
                throw CredentialError(
                    source: name,
                    problem: "the endpoint \(base.absoluteString) did not answer (\(error.detail))",
                    advice: endpointAdvice
                )
            }
            switch response.status {
            case 200:
                guard let token = TokenResponse.decode(response.body, obtainedAt: started) else {
                    throw CredentialError(source: name, problem: "the token answer is not the expected JSON")
                }
                return token
            case 401 where !answeredChallenge:
                if case .arc(_, let directory) = endpoint {
                    answeredChallenge = true
                    let key = try arcChallengeKey(response, directory: directory)
                    request.headers.append(("Authorization", "Basic " + key.exposedValue))
                    attempt -= 1
                    continue
                }
            case 404, 410:
                // IMDS answers 404 while it starts and 410 while it updates, for up to 70 s.
                if attempt < retry.maxAttempts {
                    let backoff = retry.backoff(afterAttempt: attempt, fraction: Double.random(in: 0.5..<1))
                    try await sleep(response.status == 410 ? max(backoff, .seconds(70 / (retry.maxAttempts - 1) + 1)) : backoff)
                    continue
                }
            default:
                if let delay = retry.delay(after: response, attempt: attempt) {
                    try await sleep(delay)
                    continue
                }
            }
            throw refusal(response)
        }
    }

    private var endpointAdvice: String {
        switch endpoint {
        case .imds: "is this an Azure VM with a managed identity? (IMDS listens only inside Azure; IPAddressAllow= must admit 169.254.169.254)"
        case .appService: "check IDENTITY_ENDPOINT"
        case .arc: "is the Azure Connected Machine agent (himds) running?"
        }
    }

    private func refusal(_ response: HTTPResponseData) -> CredentialError {
        let body = OAuthErrorBody.decode(response.body)
        var problem = "HTTP \(response.status)"
        if let error = body?.error { problem += " \(error)" }
        if let description = body?.error_description, !description.isEmpty { problem += ": \(description)" }
        let advice =
            switch response.status {
            case 400:
                identity == nil
                    ? "assign a system-assigned identity, or name a user-assigned one" : "check that this user-assigned identity is assigned here"
            case 401, 403: "the endpoint refused the request (a proxy in the way, or a wrong IDENTITY_HEADER?)"
            default: "retry later; if it persists, check the identity endpoint"
            }
        return CredentialError(source: name, problem: problem, advice: advice)
    }

    /// The contents of the key file Arc's `WWW-Authenticate: Basic realm=<file>` names, after
    /// checking that it is a small regular `.key` file directly inside the agent's directory.
    private func arcChallengeKey(_ response: HTTPResponseData, directory: String) throws -> Secret {
        guard let challenge = response.header("WWW-Authenticate"), let range = challenge.firstRange(of: /realm=/.ignoresCase()) else {
            throw CredentialError(source: name, problem: "the 401 carries no Basic realm challenge", advice: endpointAdvice)
        }
        let path = challenge[range.upperBound...].trimming { $0 == "\"" || $0 == " " }
        let standardized = FilePath(path).lexicallyNormalized().string
        let allowed = FilePath(directory).lexicallyNormalized().string
        guard FilePath(standardized).removingLastComponent().string == allowed, standardized.hasSuffix(".key") else {
            throw CredentialError(
                source: name,
                problem: "the challenge names \(path), which is not a .key file in \(allowed)",
                advice: "refusing to read it; only the Arc agent's own directory is trusted"
            )
        }
        var info = stat()
        guard lstat(standardized, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG else {
            throw CredentialError(
                source: name,
                problem: "the challenge file \(path) is missing or not a regular file",
                advice: "run keyrotd in the himds group"
            )
        }
        guard info.st_size <= Self.arcKeyLimit else {
            throw CredentialError(
                source: name,
                problem: "the challenge file \(path) is larger than \(Self.arcKeyLimit) bytes",
                advice: "refusing to read it"
            )
        }
        return try SecretFileReader.read(standardized, what: "Arc challenge", source: name, limit: Self.arcKeyLimit)
    }
}
