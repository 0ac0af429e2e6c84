import AzureClient
import AzureEmulator
import Crypto
import CryptoExtras
import Foundation
import KeyRotation
import Testing

/// Every way of proving identity against the emulator, and each refusal with its AADSTS code.
struct EmulatorIdentityTests {
    func certificateSource(_ h: EmulatorHarness, _ algorithm: CredentialConfiguration.AssertionAlgorithm) -> ClientCertificateSource {
        ClientCertificateSource(
            endpoint: h.entra(clientID: h.emulator.info.identities.certificateClientID),
            certificateFile: h.emulator.info.identities.certificateFile,
            privateKeyFile: h.emulator.info.identities.privateKeyFile,
            algorithm: algorithm
        )
    }

    /// Posts a hand-made assertion for the certificate app.
    func postAssertion(_ h: EmulatorHarness, _ jwt: String, clientID: String? = nil) async throws -> HTTPResponseData {
        let form = [
            ("grant_type", "client_credentials"), ("client_id", clientID ?? h.emulator.info.identities.certificateClientID),
            ("client_assertion_type", "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"), ("client_assertion", jwt),
            ("scope", h.emulator.info.baseURL + "/.default"),
        ].map { "\($0.0)=\($0.1.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
        return try await h.raw(
            "POST",
            "/\(h.emulator.info.tenant)/oauth2/v2.0/token",
            headers: [("Content-Type", "application/x-www-form-urlencoded")],
            body: form
        )
    }

    func assertion(_ h: EmulatorHarness, now: Date = Date(), audience: String? = nil, jti: String = UUID().uuidString) throws -> String {
        let pem = try String(contentsOfFile: h.emulator.info.identities.privateKeyFile, encoding: .utf8)
        let certificatePEM = try String(contentsOfFile: h.emulator.info.identities.certificateFile, encoding: .utf8)
        let body = certificatePEM.components(separatedBy: "\n").filter { !$0.hasPrefix("-----") }.joined()
        return try ClientAssertion(
            certificateDER: Array(Data(base64Encoded: body)!),
            privateKey: try _RSA.Signing.PrivateKey(pemRepresentation: pem),
            algorithm: .ps256
        ).signed(
            clientID: h.emulator.info.identities.certificateClientID,
            audience: audience ?? h.emulator.info.baseURL + "/\(h.emulator.info.tenant)/oauth2/v2.0/token",
            now: now,
            jti: jti
        ).exposedValue
    }

    func description(_ response: HTTPResponseData) -> String {
        ((try? JSONSerialization.jsonObject(with: Data(response.body))) as? [String: Any])?["error_description"] as? String ?? ""
    }

    @Test func certificateAssertionsInBothAlgorithmsRotateKeys() async throws {
        let h = try await EmulatorHarness()
        for algorithm in CredentialConfiguration.AssertionAlgorithm.allCases {
            let credential = CachedCredential(source: certificateSource(h, algorithm))
            let keys = try await h.arm(credential).regenerateKey(h.resource(), slot: .secondary, apiVersion: "2026-03-18")
            #expect(keys.secondary != nil)
        }
        let issued = try await h.stats()["tokensIssued"] as? [String: Int]
        #expect(issued?["certificate"] == 2)
        try await h.shutdown()
    }

    @Test func badAssertionsAreRefusedWithTheirAADSTSCode() async throws {
        let h = try await EmulatorHarness()
        let expired = try await postAssertion(h, try assertion(h, now: Date().addingTimeInterval(-3 * 3600)))
        #expect(expired.status == 400 && description(expired).hasPrefix("AADSTS700024"))
        let early = try await postAssertion(h, try assertion(h, now: Date().addingTimeInterval(3600)))
        #expect(early.status == 400 && description(early).hasPrefix("AADSTS700024"))
        let wrongAudience = try await postAssertion(h, try assertion(h, audience: "https://login.microsoftonline.com/other/oauth2/v2.0/token"))
        #expect(wrongAudience.status == 401 && description(wrongAudience).hasPrefix("AADSTS50013"))
        let once = try assertion(h, jti: "same-jti")
        #expect(try await postAssertion(h, once).status == 200)
        let replayed = try await postAssertion(h, once)
        #expect(replayed.status == 401 && description(replayed).hasPrefix("AADSTS5002741"))
        var parts = try assertion(h).split(separator: ".").map(String.init)
        parts[2] = String(parts[2].reversed())
        let forged = try await postAssertion(h, parts.joined(separator: "."))
        #expect(forged.status == 401 && description(forged).hasPrefix("AADSTS700027"))
        let malformed = try await postAssertion(h, "not-a-jwt")
        #expect(malformed.status == 400 && description(malformed).hasPrefix("AADSTS50027"))
        let otherApp = try await postAssertion(h, try assertion(h), clientID: h.emulator.info.clientID)
        #expect(otherApp.status == 401 && description(otherApp).hasPrefix("AADSTS700027"))
        try await h.shutdown()
    }

    @Test func aFederatedTokenFromTheTestIssuerIsAcceptedAndAForeignOneIsNot() async throws {
        let h = try await EmulatorHarness()
        let identities = h.emulator.info.identities
        let source = WorkloadIdentitySource(endpoint: h.entra(clientID: identities.federatedClientID), tokenFile: identities.federatedTokenFile)
        let keys = try await h.arm(CachedCredential(source: source)).listKeys(h.resource(), apiVersion: "2026-03-18")
        #expect(keys.primary != nil)
        try await h.emulator.rotateFederatedToken()
        _ = try await source.fetchToken(scope: h.emulator.info.baseURL + "/.default", claims: nil)

        let directory = NSTemporaryDirectory() + "foreign-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let foreign = try assertion(h)  // signed by the certificate key, not the issuer
        try foreign.write(toFile: directory + "/token", atomically: true, encoding: .utf8)
        let refused = WorkloadIdentitySource(endpoint: h.entra(clientID: identities.federatedClientID), tokenFile: directory + "/token")
        let error = await #expect(throws: EntraError.self) { try await refused.fetchToken(scope: h.emulator.info.baseURL + "/.default", claims: nil) }
        #expect(error?.errorDescription.hasPrefix("AADSTS700211") == true)
        try await h.shutdown()
    }

    @Test func managedIdentityEndpointsServeTokensThatARMAccepts() async throws {
        let h = try await EmulatorHarness()
        let info = h.emulator.info
        let metadata = AsyncHTTPClientTransport(metadata: true)
        let kinds: [(EmulatorInfo.CredentialKind, CredentialConfiguration.UserAssignedIdentity?)] = [
            (.imds(userAssigned: false), nil), (.imds(userAssigned: true), .clientID(info.identities.userAssignedClientID)),
            (.imds(userAssigned: true), .objectID(info.identities.userAssignedObjectID)),
            (.imds(userAssigned: true), .resourceID(info.identities.userAssignedResourceID)), (.appService(userAssigned: false), nil),
            (.appService(userAssigned: true), .clientID(info.identities.userAssignedClientID)), (.arc, nil),
        ]
        for (kind, identity) in kinds {
            let endpoint = try ManagedIdentitySource.endpoint(
                environment: info.environment(kind: kind),
                arcKeyDirectory: info.identities.arcKeyDirectory
            )
            let credential = CachedCredential(
                source: ManagedIdentitySource(endpoint: endpoint, identity: identity, transport: metadata, sleep: { try await Task.sleep(for: $0) })
            )
            let token = try await credential.token(scope: info.baseURL + "/.default")
            #expect(token.expiresOn.timeIntervalSince(token.obtainedAt) > 80_000, "managed identity tokens live 24 hours")
            _ = try await h.arm(credential).listKeys(h.resource(), apiVersion: "2026-03-18")
        }
        let issued = try await h.stats()["tokensIssued"] as? [String: Int]
        #expect(issued == ["imds": 4, "appService": 2, "arc": 1])
        #expect(try FileManager.default.contentsOfDirectory(atPath: info.identities.arcKeyDirectory).isEmpty, "used challenges are removed")

        let unknown = CachedCredential(
            source: ManagedIdentitySource(
                endpoint: try ManagedIdentitySource.endpoint(environment: info.environment(kind: .imds(userAssigned: false))),
                identity: .clientID("00000000-0000-0000-0000-00000000ffff"),
                transport: metadata,
                sleep: { try await Task.sleep(for: $0) }
            )
        )
        let error = await #expect(throws: CredentialError.self) { try await unknown.token(scope: info.baseURL + "/.default") }
        #expect(error?.description.contains("Identity not found") == true)
        try await metadata.shutdown()
        try await h.shutdown()
    }

    @Test func imdsWithoutTheMetadataHeaderIsRefused() async throws {
        let h = try await EmulatorHarness()
        let metadata = AsyncHTTPClientTransport(metadata: true)
        let url = URL(string: h.emulator.info.identities.metadataURL + "/metadata/identity/oauth2/token?api-version=2018-02-01&resource=x")!
        let response = try await metadata.send(HTTPRequestData(method: "GET", url: url), timeout: .seconds(5))
        #expect(response.status == 400)
        #expect(String(decoding: response.body, as: UTF8.self).contains("Required metadata header not specified"))
        try await metadata.shutdown()
        try await h.shutdown()
    }

    @Test func aRevokedTokenGetsAClaimsChallengeThatTheClientAnswers() async throws {
        let h = try await EmulatorHarness()
        let credential = h.credential()
        let arm = h.arm(credential)
        _ = try await arm.resource(h.resource(), apiVersion: "2026-03-18")
        #expect(try await h.raw("POST", "/_emulator/revoke-tokens").status == 204)
        try await Task.sleep(for: .milliseconds(5))  // token issue times are compared with the revocation instant
        _ = try await arm.resource(h.resource(), apiVersion: "2026-03-18")
        let stats = try await h.stats()
        #expect(stats["claimsChallenges"] as? Int == 1)
        #expect(stats["claimsRequests"] as? Int == 1)
        #expect(stats["tokenRequests"] as? Int == 2)
        try await h.shutdown()
    }

    @Test func theTestProxyTunnelsToTheEmulatorOnlyAndWantsItsCredentials() async throws {
        let h = try await EmulatorHarness {
            $0.proxyPort = 0
            $0.proxyCredentials = "keyrotd:proxy-pass"
        }
        let proxyURL = try #require(h.emulator.info.proxyURL)
        let proxied = AsyncHTTPClientTransport(
            extraCAFile: h.emulator.info.caFile,
            proxy: try ProxyConfiguration(environment: [
                "HTTPS_PROXY": proxyURL.replacingOccurrences(of: "http://", with: "http://keyrotd:proxy-pass@")
            ])
        )
        // Loopback never goes through a proxy.
        _ = try await proxied.send(
            HTTPRequestData(method: "GET", url: URL(string: h.emulator.info.baseURL + "/_emulator/stats")!),
            timeout: .seconds(5)
        )
        #expect(try await h.stats()["proxyTunnels"] as? Int == 0)
        // A name only the proxy resolves: reaching it proves the tunnel, and TLS is still verified end to end.
        let base = try #require(h.emulator.info.proxiedBaseURL)
        let credential = CachedCredential(
            source: ClientSecretSource(
                endpoint: try EntraTokenEndpoint(
                    authorityHost: URL(string: base)!,
                    tenant: h.emulator.info.tenant,
                    clientID: h.emulator.info.clientID,
                    transport: proxied,
                    sleep: { try await Task.sleep(for: $0) }
                ),
                secretFile: h.secretFile
            )
        )
        let arm = ARMClient(
            endpoint: URL(string: base)!,
            scope: base + "/.default",
            credential: credential,
            transport: proxied,
            sleep: { try await Task.sleep(for: $0) },
            logger: .init(label: "t")
        )
        _ = try await arm.listKeys(h.resource(), apiVersion: "2026-03-18")
        #expect(try await h.stats()["proxyTunnels"] as? Int ?? 0 >= 1)
        let wrongPassword = AsyncHTTPClientTransport(
            extraCAFile: h.emulator.info.caFile,
            proxy: try ProxyConfiguration(environment: ["HTTPS_PROXY": proxyURL.replacingOccurrences(of: "http://", with: "http://keyrotd:wrong@")])
        )
        let refused = await #expect(throws: TransportError.self) {
            try await wrongPassword.send(HTTPRequestData(method: "GET", url: URL(string: base)!), timeout: .seconds(2))
        }
        #expect(refused?.description.contains("proxy") == true)
        #expect(refused?.description.contains("wrong") == false)
        #expect(try await h.stats()["proxyRefusals"] as? Int ?? 0 >= 1)
        try await wrongPassword.shutdown()
        try await proxied.shutdown()
        try await h.shutdown()
    }
}
