import AzureClient
import Crypto
import CryptoExtras
import Foundation
import KeyRotation
import Testing

/// A scratch directory for one test.
func scratchDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "keyrotd-credential-test-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
    return path
}

/// The form fields of a request body.
func formFields(_ request: HTTPRequestData) -> [String: String] {
    var fields: [String: String] = [:]
    for pair in String(decoding: request.body, as: UTF8.self).split(separator: "&") {
        let kv = pair.split(separator: "=", maxSplits: 1).map { String($0).removingPercentEncoding ?? String($0) }
        fields[kv[0]] = kv.count > 1 ? kv[1] : ""
    }
    return fields
}

/// A source that counts fetches and answers after a pause, so concurrent callers overlap.
actor CountingSource: TokenSource {
    nonisolated var name: String { "counting" }
    private(set) var fetches: [String?] = []

    func fetchToken(scope: String, claims: String?) async throws -> AccessToken {
        fetches.append(claims)
        try await Task.sleep(for: .milliseconds(50))
        return AccessToken(token: Secret("t\(fetches.count)"), expiresOn: Date().addingTimeInterval(3600), obtainedAt: Date())
    }
}

let tokenJSON = #"{"token_type":"Bearer","expires_in":3599,"access_token":"issued-token"}"#

func endpoint(_ transport: ScriptedTransport, now: Date = Date()) throws -> EntraTokenEndpoint {
    try EntraTokenEndpoint(
        authorityHost: URL(string: "https://login.example/")!,
        tenant: "tenant-1",
        clientID: "client-1",
        transport: transport,
        retry: RetryPolicy(maxAttempts: 2, base: .milliseconds(1)),
        sleep: { _ in },
        now: { now }
    )
}

struct AccessTokenTests {
    @Test func refreshesLongLivedTokensAtHalfLifeAndShortOnesFiveMinutesEarly() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        let day = AccessToken(token: Secret("x"), expiresOn: start.addingTimeInterval(86_400), obtainedAt: start)
        #expect(day.refreshAt == start.addingTimeInterval(43_200))
        let hour = AccessToken(token: Secret("x"), expiresOn: start.addingTimeInterval(3600), obtainedAt: start)
        #expect(hour.refreshAt == start.addingTimeInterval(3300))
        let brief = AccessToken(token: Secret("x"), expiresOn: start.addingTimeInterval(60), obtainedAt: start)
        #expect(brief.refreshAt == start.addingTimeInterval(30))
    }
}

struct CachedCredentialTests {
    @Test func aThousandConcurrentCallersCauseOneFetchAndClaimsBypassTheCache() async throws {
        let source = CountingSource()
        let credential = CachedCredential(source: source)
        try await withThrowingTaskGroup(of: Void.self) { group in
            for _ in 0..<1000 { group.addTask { _ = try await credential.token(scope: "s") } }
            try await group.waitForAll()
        }
        #expect(await source.fetches.count == 1)
        let challenged = try await credential.token(scope: "s", claims: "{}")
        #expect(await source.fetches == [nil, "{}"])
        #expect(try await credential.token(scope: "s").token.exposedValue == challenged.token.exposedValue)
        await credential.invalidate()
        _ = try await credential.token(scope: "s")
        #expect(await credential.fetches == 3)
    }
}

struct EntraTokenEndpointTests {
    @Test func clientSecretFormIsSentAndTheFileIsReadEachTime() async throws {
        let directory = try scratchDirectory()
        let file = directory + "/secret"
        try "first-secret\n".write(toFile: file, atomically: true, encoding: .utf8)
        let transport = ScriptedTransport([.respond(200, [], tokenJSON), .respond(200, [], tokenJSON)])
        let source = ClientSecretSource(endpoint: try endpoint(transport), secretFile: file)
        _ = try await source.fetchToken(scope: "https://management.azure.com/.default", claims: nil)
        try "second-secret".write(toFile: file, atomically: true, encoding: .utf8)
        _ = try await source.fetchToken(scope: "https://management.azure.com/.default", claims: #"{"a":1}"#)
        let sent = await transport.requests
        #expect(sent[0].url.absoluteString == "https://login.example/tenant-1/oauth2/v2.0/token")
        #expect(formFields(sent[0])["client_secret"] == "first-secret")
        #expect(formFields(sent[0])["claims"] == nil)
        #expect(formFields(sent[1])["client_secret"] == "second-secret")
        #expect(formFields(sent[1])["claims"] == #"{"a":1}"#)
        #expect(formFields(sent[1])["scope"] == "https://management.azure.com/.default")
    }

    /// keyrotd's own rotated secret is preferred to the bootstrap file once it exists; when Entra
    /// refuses it (an old copy restored from a backup), the bootstrap is tried.
    @Test func theRotatedSecretIsPreferredAndTheBootstrapIsTheFallback() async throws {
        let directory = try scratchDirectory()
        try "bootstrap-secret".write(toFile: directory + "/bootstrap", atomically: true, encoding: .utf8)
        let refused = #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided."}"#
        let transport = ScriptedTransport([
            .respond(200, [], tokenJSON), .respond(200, [], tokenJSON), .respond(401, [], refused), .respond(200, [], tokenJSON),
        ])
        let source = ClientSecretSource(endpoint: try endpoint(transport), secretFile: directory + "/bootstrap", rotatedFile: directory + "/rotated")
        _ = try await source.fetchToken(scope: "s", claims: nil)
        try "rotated-secret\n".write(toFile: directory + "/rotated", atomically: true, encoding: .utf8)
        _ = try await source.fetchToken(scope: "s", claims: nil)
        _ = try await source.fetchToken(scope: "s", claims: nil)
        let sent = await transport.requests.map { formFields($0)["client_secret"] }
        #expect(sent == ["bootstrap-secret", "rotated-secret", "rotated-secret", "bootstrap-secret"])
    }

    @Test func anEntraRefusalNamesTheCodeAndNeverTheSecret() async throws {
        let directory = try scratchDirectory()
        try "hunter2-secret".write(toFile: directory + "/secret", atomically: true, encoding: .utf8)
        let body = #"{"error":"invalid_client","error_description":"AADSTS7000215: Invalid client secret provided.\r\nTrace ID: t","trace_id":"t-1"}"#
        let transport = ScriptedTransport([.respond(401, [], body)])
        let source = ClientSecretSource(endpoint: try endpoint(transport), secretFile: directory + "/secret")
        let error = await #expect(throws: EntraError.self) { try await source.fetchToken(scope: "s", claims: nil) }
        let text = "\(error.map { "\($0)" } ?? "")"
        #expect(text.contains("AADSTS7000215") && text.contains("t-1") && text.contains("check the client secret file"))
        #expect(!text.contains("hunter2"))
    }

    @Test func aMissingSecretFileSaysWhichFile() async throws {
        let transport = ScriptedTransport([])
        let source = ClientSecretSource(endpoint: try endpoint(transport), secretFile: "/nonexistent/keyrotd-secret")
        let error = await #expect(throws: CredentialError.self) { try await source.fetchToken(scope: "s", claims: nil) }
        #expect("\(error.map { "\($0)" } ?? "")".contains("/nonexistent/keyrotd-secret"))
        #expect(await transport.requests.isEmpty)
    }
}

struct ClientAssertionTests {
    let key = try! _RSA.Signing.PrivateKey(keySize: .bits2048)
    let certificate: [UInt8] = Array("not really DER, but hashed all the same".utf8)

    func decode(_ part: Substring) -> [String: Any] {
        var s = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return (try? JSONSerialization.jsonObject(with: Data(base64Encoded: s)!)) as? [String: Any] ?? [:]
    }

    func base64URL(_ bytes: some Sequence<UInt8>) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func verify(_ jwt: String, padding: _RSA.Signing.Padding) -> Bool {
        let parts = jwt.split(separator: ".")
        var s = parts[2].replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        let signature = _RSA.Signing.RSASignature(rawRepresentation: Data(base64Encoded: s)!)
        return key.publicKey.isValidSignature(signature, for: SHA256.hash(data: Array("\(parts[0]).\(parts[1])".utf8)), padding: padding)
    }

    @Test func ps256NamesTheCertificateBySHA256AndCarriesTheClaims() throws {
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        let jwt = try ClientAssertion(certificateDER: certificate, privateKey: key, algorithm: .ps256)
            .signed(clientID: "client-1", audience: "https://login.example/t/oauth2/v2.0/token", now: now, jti: "jti-1").exposedValue
        let parts = jwt.split(separator: ".")
        let header = decode(parts[0]), claims = decode(parts[1])
        #expect(header["alg"] as? String == "PS256")
        #expect(header["x5t#S256"] as? String == base64URL(SHA256.hash(data: certificate)))
        #expect(header["x5t"] == nil)
        #expect(claims["aud"] as? String == "https://login.example/t/oauth2/v2.0/token")
        #expect(claims["iss"] as? String == "client-1" && claims["sub"] as? String == "client-1" && claims["jti"] as? String == "jti-1")
        #expect(claims["nbf"] as? Int == 1_700_000_000 && claims["exp"] as? Int == 1_700_001_800)
        #expect(verify(jwt, padding: .PSS))
        #expect(!verify(jwt, padding: .insecurePKCS1v1_5))
    }

    @Test func rs256NamesTheCertificateBySHA1() throws {
        let jwt = try ClientAssertion(certificateDER: certificate, privateKey: key, algorithm: .rs256)
            .signed(clientID: "c", audience: "a", now: Date()).exposedValue
        let header = decode(jwt.split(separator: ".")[0])
        #expect(header["alg"] as? String == "RS256")
        #expect(header["x5t"] as? String == base64URL(Insecure.SHA1.hash(data: certificate)))
        #expect(verify(jwt, padding: .insecurePKCS1v1_5))
    }

    @Test func certificateSourceRefusesEncryptedOrMissingKeysWithoutQuotingThem() async throws {
        let directory = try scratchDirectory()
        try "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n".write(toFile: directory + "/c.pem", atomically: true, encoding: .utf8)
        try "-----BEGIN ENCRYPTED PRIVATE KEY-----\nQUJD\n-----END ENCRYPTED PRIVATE KEY-----\n".write(
            toFile: directory + "/k.pem",
            atomically: true,
            encoding: .utf8
        )
        let transport = ScriptedTransport([])
        let source = ClientCertificateSource(
            endpoint: try endpoint(transport),
            certificateFile: directory + "/c.pem",
            privateKeyFile: directory + "/k.pem",
            algorithm: .ps256
        )
        let error = await #expect(throws: CredentialError.self) { try await source.fetchToken(scope: "s", claims: nil) }
        #expect(error?.problem.contains("encrypted") == true)
        try "-----BEGIN PRIVATE KEY-----\nnot base64!\n-----END PRIVATE KEY-----\n".write(
            toFile: directory + "/k.pem",
            atomically: true,
            encoding: .utf8
        )
        let unreadable = await #expect(throws: CredentialError.self) { try await source.fetchToken(scope: "s", claims: nil) }
        #expect(unreadable?.problem.contains("no readable RSA private key") == true)
        #expect(await transport.requests.isEmpty)
    }
}

struct WorkloadIdentitySourceTests {
    @Test func theTokenFileIsReadForEveryRequestAsKubeletRotatesIt() async throws {
        let directory = try scratchDirectory()
        let file = directory + "/token"
        try "federated-one".write(toFile: file, atomically: true, encoding: .utf8)
        let transport = ScriptedTransport([.respond(200, [], tokenJSON), .respond(200, [], tokenJSON)])
        let source = WorkloadIdentitySource(endpoint: try endpoint(transport), tokenFile: file)
        _ = try await source.fetchToken(scope: "s", claims: nil)
        try "federated-two".write(toFile: file, atomically: true, encoding: .utf8)
        _ = try await source.fetchToken(scope: "s", claims: nil)
        let sent = await transport.requests.map(formFields)
        #expect(sent.map { $0["client_assertion"] } == ["federated-one", "federated-two"])
        #expect(sent.allSatisfy { $0["client_assertion_type"] == "urn:ietf:params:oauth:client-assertion-type:jwt-bearer" })
    }

    @Test func anUnreadableTokenFileIsNamed() async throws {
        let source = WorkloadIdentitySource(endpoint: try endpoint(ScriptedTransport([])), tokenFile: "/nonexistent/token")
        let error = await #expect(throws: CredentialError.self) { try await source.fetchToken(scope: "s", claims: nil) }
        #expect(error?.problem.contains("/nonexistent/token") == true)
    }
}

struct ManagedIdentitySourceTests {
    func source(
        _ endpoint: ManagedIdentitySource.Endpoint,
        _ transport: ScriptedTransport,
        identity: CredentialConfiguration.UserAssignedIdentity? = nil
    )
        -> ManagedIdentitySource
    {
        ManagedIdentitySource(
            endpoint: endpoint,
            identity: identity,
            transport: transport,
            retry: RetryPolicy(maxAttempts: 5, base: .milliseconds(1)),
            sleep: { _ in }
        )
    }

    let imds = ManagedIdentitySource.Endpoint.imds(URL(string: "http://169.254.169.254/metadata/identity/oauth2/token")!)
    let stringNumbers =
        #"{"access_token":"mi-token","client_id":"c","expires_in":"86399","expires_on":"1900000000","resource":"r","token_type":"Bearer"}"#

    @Test func imdsRequestShapeAndStringNumbers() async throws {
        let transport = ScriptedTransport([.respond(200, [], stringNumbers)])
        let token = try await source(imds, transport, identity: .resourceID("/subscriptions/s/x/id-1"))
            .fetchToken(scope: "https://management.azure.com/.default", claims: nil)
        #expect(token.expiresOn == Date(timeIntervalSince1970: 1_900_000_000))
        let request = try #require(await transport.requests.first)
        #expect(request.headers.contains { $0 == ("Metadata", "true") })
        let query = URLComponents(url: request.url, resolvingAgainstBaseURL: false)!.queryItems!
        #expect(query.contains(URLQueryItem(name: "api-version", value: "2018-02-01")))
        #expect(query.contains(URLQueryItem(name: "resource", value: "https://management.azure.com/")))
        #expect(query.contains(URLQueryItem(name: "msi_res_id", value: "/subscriptions/s/x/id-1")))
    }

    @Test func imdsRetries404And410And429And5xxThenSucceeds() async throws {
        let transport = ScriptedTransport([
            .respond(404, [], ""), .respond(410, [], ""), .respond(429, [], ""), .respond(503, [], ""), .respond(200, [], stringNumbers),
        ])
        _ = try await source(imds, transport).fetchToken(scope: "s", claims: nil)
        #expect(await transport.requests.count == 5)
    }

    @Test func noIdentityAssignedAndUnreachableIMDSSayWhatToDo() async throws {
        let refused = ScriptedTransport([.respond(400, [], #"{"error":"invalid_request","error_description":"Identity not found"}"#)])
        let error = await #expect(throws: CredentialError.self) {
            try await source(imds, refused, identity: .clientID("c-1")).fetchToken(scope: "s", claims: nil)
        }
        #expect(error?.description.contains("Identity not found") == true)
        #expect(error?.description.contains("user-assigned identity is assigned") == true)
        let down = ScriptedTransport(Array(repeating: .fail(.connection), count: 5))
        let unreachable = await #expect(throws: CredentialError.self) { try await source(imds, down).fetchToken(scope: "s", claims: nil) }
        #expect(unreachable?.description.contains("did not answer") == true)
        #expect(unreachable?.description.contains("Azure VM") == true)
        #expect(await down.requests.count == 5)
    }

    @Test func appServiceSendsItsHeaderAndNeverPrintsIt() async throws {
        let transport = ScriptedTransport([.respond(401, [], #"{"error":"unauthorized","error_description":"bad header"}"#)])
        let endpoint = ManagedIdentitySource.Endpoint.appService(
            URL(string: "http://127.0.0.1:41000/msi/token")!,
            header: Secret("app-service-header-secret")
        )
        let error = await #expect(throws: CredentialError.self) { try await source(endpoint, transport).fetchToken(scope: "s", claims: nil) }
        #expect(!(error?.description.contains("app-service-header-secret") ?? true))
        let request = try #require(await transport.requests.first)
        #expect(request.headers.contains { $0 == ("X-IDENTITY-HEADER", "app-service-header-secret") })
        #expect(request.url.query?.contains("api-version=2019-08-01") == true)
    }

    @Test func arcAnswersTheChallengeOnlyFromItsDirectoryAndOnlyIfSmall() async throws {
        let directory = try scratchDirectory()
        let elsewhere = try scratchDirectory()
        let arc = ManagedIdentitySource.Endpoint.arc(URL(string: "http://127.0.0.1:40342/metadata/identity/oauth2/token")!, keyDirectory: directory)
        func challenge(_ path: String) -> ScriptedTransport.Step { .respond(401, [("WWW-Authenticate", "Basic realm=\(path)")], "") }

        try "arc-key-contents".write(toFile: directory + "/good.key", atomically: true, encoding: .utf8)
        let good = ScriptedTransport([challenge(directory + "/good.key"), .respond(200, [], stringNumbers)])
        _ = try await source(arc, good).fetchToken(scope: "s", claims: nil)
        let second = try #require(await good.requests.last)
        #expect(second.headers.contains { $0 == ("Authorization", "Basic arc-key-contents") })

        try "x".write(toFile: elsewhere + "/evil.key", atomically: true, encoding: .utf8)
        for path in [elsewhere + "/evil.key", directory + "/../" + (elsewhere as NSString).lastPathComponent + "/evil.key", directory + "/good.txt"] {
            let transport = ScriptedTransport([challenge(path)])
            let error = await #expect(throws: CredentialError.self) { try await source(arc, transport).fetchToken(scope: "s", claims: nil) }
            #expect(error?.problem.contains("not a .key file in") == true)
            #expect(await transport.requests.count == 1)
        }

        try String(repeating: "k", count: 5000).write(toFile: directory + "/big.key", atomically: true, encoding: .utf8)
        let big = ScriptedTransport([challenge(directory + "/big.key")])
        let error = await #expect(throws: CredentialError.self) { try await source(arc, big).fetchToken(scope: "s", claims: nil) }
        #expect(error?.problem.contains("larger than 4096 bytes") == true)

        try FileManager.default.createSymbolicLink(atPath: directory + "/link.key", withDestinationPath: elsewhere + "/evil.key")
        let link = ScriptedTransport([challenge(directory + "/link.key")])
        await #expect(throws: CredentialError.self) { try await source(arc, link).fetchToken(scope: "s", claims: nil) }
    }

    @Test func theEnvironmentPicksTheEndpointInAzureIdentitysOrder() throws {
        let appService = try ManagedIdentitySource.endpoint(environment: [
            "IDENTITY_ENDPOINT": "http://127.0.0.1:1/msi/token", "IDENTITY_HEADER": "h",
        ])
        guard case .appService = appService else { Issue.record("expected App Service"); return }
        let arc = try ManagedIdentitySource.endpoint(environment: [
            "IDENTITY_ENDPOINT": "http://127.0.0.1:1/t", "IMDS_ENDPOINT": "http://127.0.0.1:1",
        ])
        guard case .arc(_, let directory) = arc, directory == "/var/opt/azcmagent/tokens" else { Issue.record("expected Arc"); return }
        guard case .imds(let url) = try ManagedIdentitySource.endpoint(environment: [:]) else { Issue.record("expected IMDS"); return }
        #expect(url.absoluteString == "http://169.254.169.254/metadata/identity/oauth2/token")
        guard case .imds(let moved) = try ManagedIdentitySource.endpoint(environment: ["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9/"])
        else {
            Issue.record("expected IMDS")
            return
        }
        #expect(moved.absoluteString == "http://127.0.0.1:9/metadata/identity/oauth2/token")
        #expect(throws: CredentialError.self) { try ManagedIdentitySource.endpoint(environment: ["IDENTITY_ENDPOINT": "http://127.0.0.1:1/t"]) }
    }
}

struct ChainedTokenSourceTests {
    @Test func autoNamesEverySourceTriedAndWhy() async throws {
        let configuration = CredentialConfiguration(name: "auto", tenant: nil, clientID: nil, kind: .auto)
        let down = ScriptedTransport(Array(repeating: .fail(.connection), count: 10))
        let credential = try CachedCredential(
            configuration: configuration,
            environment: ["AZURE_POD_IDENTITY_AUTHORITY_HOST": "http://127.0.0.1:9"],
            transports: .init(entra: ScriptedTransport([]), metadata: down),
            sleep: { try await Task.sleep(for: $0) }
        )
        let error = await #expect(throws: CredentialChainError.self) { try await credential.token(scope: "https://management.azure.com/.default") }
        let text = error.map { "\($0)" } ?? ""
        #expect(text.contains("environment service principal: AZURE_TENANT_ID and AZURE_CLIENT_ID are not both set"))
        #expect(text.contains("workload identity: AZURE_FEDERATED_TOKEN_FILE is not set"))
        #expect(text.contains("managed identity (IMDS): the endpoint http://127.0.0.1:9/metadata/identity/oauth2/token did not answer"))
    }

    @Test func autoPrefersTheEnvironmentServicePrincipalAndHidesItsSecret() async throws {
        let entra = ScriptedTransport([.respond(200, [], tokenJSON)])
        let credential = try CachedCredential(
            configuration: CredentialConfiguration(name: "auto", tenant: nil, clientID: nil, kind: .auto),
            environment: ["AZURE_TENANT_ID": "t", "AZURE_CLIENT_ID": "c", "AZURE_CLIENT_SECRET": "env-secret-value"],
            transports: .init(entra: entra, metadata: ScriptedTransport([])),
            sleep: { try await Task.sleep(for: $0) }
        )
        #expect(!credential.sourceName.contains("env-secret-value"))
        _ = try await credential.token(scope: "https://management.azure.com/.default")
        #expect(formFields(try #require(await entra.requests.first))["client_secret"] == "env-secret-value")
    }
}

struct ProxyConfigurationTests {
    @Test func readsHTTPSProxyAndNoProxyLikeCurl() throws {
        let proxy = try #require(
            try ProxyConfiguration(environment: [
                "HTTPS_PROXY": "http://user:p%40ss@proxy.corp:3128", "no_proxy": "internal.corp, .vault.azure.net,10.0.0.0/8,example.org:443",
            ])
        )
        #expect(proxy.host == "proxy.corp" && proxy.port == 3128)
        #expect(proxy.credentials?.exposedValue == "user:p@ss")
        #expect(!proxy.summary.contains("p@ss"))
        #expect(proxy.proxies(host: "management.azure.com"))
        #expect(!proxy.proxies(host: "internal.corp") && !proxy.proxies(host: "a.internal.corp"))
        #expect(!proxy.proxies(host: "x.vault.azure.net"))
        #expect(!proxy.proxies(host: "10.2.3.4") && proxy.proxies(host: "11.2.3.4"))
        #expect(!proxy.proxies(host: "example.org"))
        #expect(!proxy.proxies(host: "127.0.0.1") && !proxy.proxies(host: "169.254.169.254") && !proxy.proxies(host: "localhost"))
        #expect(try ProxyConfiguration(environment: [:]) == nil)
        #expect(try ProxyConfiguration(environment: ["HTTPS_PROXY": "proxy:8080"])?.port == 8080)
        #expect(try ProxyConfiguration(environment: ["HTTPS_PROXY": "http://p:1", "NO_PROXY": "*"])?.proxies(host: "management.azure.com") == false)
        #expect(throws: ProxyConfigurationError.self) { try ProxyConfiguration(environment: ["HTTPS_PROXY": "socks5://p:1"]) }
    }
}
