import AzureClient
import AzureEmulator
import Foundation
import KeyRotation
import Logging
import Testing

/// The emulator's Microsoft Graph application calls, through keyrotd's ``GraphClient``: secrets
/// added and removed, ownership, the two-password limit, lifetime policies, Graph's error body,
/// and the token endpoint with an application's own secrets (replication and expiry).
struct EmulatorGraphTests {
    struct Registered {
        var objectID: String
        var clientID: String
        var secrets: [String]
    }

    func register(_ h: EmulatorHarness, _ body: String) async throws -> Registered {
        let answer = try await h.raw("POST", "/_emulator/applications", headers: [("Content-Type", "application/json")], body: body)
        try #require(answer.status == 201)
        let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
        let passwords = (json["passwords"] as? [[String: Any]] ?? []).compactMap { $0["secretText"] as? String }
        return Registered(objectID: try #require(json["id"] as? String), clientID: try #require(json["appId"] as? String), secrets: passwords)
    }

    func graph(_ h: EmulatorHarness, _ credential: (any TokenCredential)? = nil) -> GraphClient {
        GraphClient(
            endpoint: h.base,
            scope: h.emulator.info.baseURL + "/.default",
            credential: credential ?? h.credential(),
            transport: h.transport,
            retry: RetryPolicy(maxAttempts: 2, base: .milliseconds(10)),
            sleep: { try await Task.sleep(for: $0) },
            logger: Logger(label: "test")
        )
    }

    /// A token request for `clientID` with `secret`: nil when granted, else the AADSTS code.
    func tokenRefusal(_ h: EmulatorHarness, clientID: String, secret: String) async -> String? {
        let source = ClientSecretSource(endpoint: h.entra(clientID: clientID), secret: Secret(secret))
        do {
            _ = try await source.fetchToken(scope: h.emulator.info.baseURL + "/.default", claims: nil)
            return nil
        } catch let error as EntraError {
            return String(error.errorDescription.prefix(while: { $0 != ":" }))
        } catch {
            return "\(error)"
        }
    }

    @Test func secretsAreAddedShownOnceUsableAndRemoved() async throws {
        try await EmulatorHarness.with { h in
            let app = try await register(h, #"{"displayName": "billing", "passwords": [{"displayName": "made by hand", "days": 90}]}"#)
            let graph = graph(h)
            let read = try await graph.application(.clientID(app.clientID))
            #expect(read.objectID == app.objectID && read.displayName == "billing" && read.passwords.count == 1)
            #expect(try await graph.application(.objectID(app.objectID)) == read)
            let end = Date().addingTimeInterval(30 * 86_400)
            let added = try await graph.addPassword(to: app.objectID, displayName: "keyrotd billing primary", end: end)
            #expect(added.credential.displayName == "keyrotd billing primary")
            #expect(abs(added.credential.end.timeIntervalSince(end)) < 1)
            #expect(added.secret.exposedValue.count == 40)
            #expect(await tokenRefusal(h, clientID: app.clientID, secret: added.secret.exposedValue) == nil)
            #expect(await tokenRefusal(h, clientID: app.clientID, secret: app.secrets[0]) == nil)
            let listed = try await h.raw("GET", "/_emulator/applications/\(app.objectID)")
            #expect(!String(decoding: listed.body, as: UTF8.self).contains(added.secret.exposedValue), "a listing shows no secret")
            #expect(try await graph.removePassword(from: app.objectID, keyID: added.credential.keyID))
            #expect(await tokenRefusal(h, clientID: app.clientID, secret: added.secret.exposedValue) == "AADSTS7000215")
            // A removal whose answer was lost is done: the second finds nothing and says so.
            #expect(try await graph.removePassword(from: app.objectID, keyID: added.credential.keyID) == false)
            #expect(try await graph.application(.objectID(app.objectID)).passwords.map(\.displayName) == ["made by hand"])
        }
    }

    @Test func onlyOwnersChangeAnApplicationAndTheErrorSaysHow() async throws {
        try await EmulatorHarness.with { h in
            let app = try await register(h, #"{"owners": []}"#)
            let graph = graph(h)
            _ = try await graph.application(.clientID(app.clientID))  // reading: Application.Read.All
            let error = try await #require(throws: GraphError.self) {
                try await graph.addPassword(to: app.objectID, displayName: "x", end: Date().addingTimeInterval(86_400))
            }
            #expect(error.status == 403 && error.code == "Authorization_RequestDenied")
            #expect(error.description.contains("Owners") && error.description.contains("Application.ReadWrite.OwnedBy"))
            #expect(error.requestID != nil && error.description.contains(error.requestID ?? "-"))
            let missing = try await #require(throws: GraphError.self) { try await graph.application(.clientID(UUID().uuidString)) }
            #expect(missing.status == 404 && missing.code == "Request_ResourceNotFound")
        }
    }

    @Test func personalAccountApplicationsHoldTwoPasswordsAndPoliciesCapLifetimes() async throws {
        try await EmulatorHarness.with { h in
            let graph = graph(h)
            let personal = try await register(h, #"{"personal": true, "passwords": [{"days": 30}, {"days": 60}]}"#)
            #expect(try await graph.application(.objectID(personal.objectID)).passwordLimit == 2)
            let full = try await #require(throws: GraphError.self) {
                try await graph.addPassword(to: personal.objectID, displayName: "x", end: Date().addingTimeInterval(86_400))
            }
            #expect(full.isPasswordLimit && full.description.contains("make_room"))
            let capped = try await register(h, #"{"maxPasswordLifetimeDays": 30}"#)
            let refused = try await #require(throws: GraphError.self) {
                try await graph.addPassword(to: capped.objectID, displayName: "x", end: Date().addingTimeInterval(60 * 86_400))
            }
            #expect(refused.code == "CredentialInvalidLifetimeAsPerAppPolicy" && refused.description.contains("lifetime"))
            _ = try await graph.addPassword(to: capped.objectID, displayName: "x", end: Date().addingTimeInterval(20 * 86_400))
        }
    }

    @Test func aNewSecretReplicatesAndAnExpiredOneIsRefusedAsExpired() async throws {
        try await EmulatorHarness.with({ $0.faults.credentialReplicationDelay = .seconds(2) }) { h in
            let app = try await register(h, #"{"passwords": [{"days": -1}]}"#)
            #expect(await tokenRefusal(h, clientID: app.clientID, secret: app.secrets[0]) == "AADSTS7000222")
            let addedAt = ContinuousClock.now
            let added = try await graph(h).addPassword(to: app.objectID, displayName: "new", end: Date().addingTimeInterval(86_400))
            // Within the replication window most replicas refuse it: one success proves nothing.
            var refusals = 0
            for _ in 0..<10 where await tokenRefusal(h, clientID: app.clientID, secret: added.secret.exposedValue) != nil { refusals += 1 }
            #expect(refusals > 0)
            // After the window every replica knows it. The emulator's replication runs on the real
            // clock, so the test waits the rest of its window out.
            try await Task.sleep(until: addedAt + .milliseconds(2100))
            for _ in 0..<5 { #expect(await tokenRefusal(h, clientID: app.clientID, secret: added.secret.exposedValue) == nil) }
        }
    }

    /// Certificates are rolled with a proof of possession: signed by a certificate the application
    /// has now, for its object id, briefly valid. The new certificate signs in at once (no
    /// replication delay here), and after its removal no longer.
    @Test func certificatesAreRolledWithAProofOfPossession() async throws {
        try await EmulatorHarness.with { h in
            let answer = try await h.raw(
                "POST",
                "/_emulator/applications",
                headers: [("Content-Type", "application/json")],
                body: #"{"certificateDays": 30}"#
            )
            let json = try #require(try JSONSerialization.jsonObject(with: Data(answer.body)) as? [String: Any])
            let objectID = try #require(json["id"] as? String)
            let clientID = try #require(json["appId"] as? String)
            let bootstrapPEM = try #require(json["privateKeyPEM"] as? String) + "\n" + (try #require(json["certificatePEM"] as? String))
            let bootstrap = try #require(ApplicationCertificate(pem: bootstrapPEM))
            let graph = graph(h)
            let stranger = try ApplicationCertificate.make(subject: "stranger", lifetime: .seconds(86_400))
            let new = try ApplicationCertificate.make(subject: "keyrotd signing primary", lifetime: .seconds(86_400))
            let unknown = try await #require(throws: GraphError.self) {
                try await graph.addKey(to: objectID, certificate: new.certificateDER, displayName: "x", proof: try stranger.proof(objectID: objectID))
            }
            #expect(unknown.status == 400 && unknown.message.contains("not registered"))
            let elsewhere = try await #require(throws: GraphError.self) {
                try await graph.addKey(
                    to: objectID,
                    certificate: new.certificateDER,
                    displayName: "x",
                    proof: try bootstrap.proof(objectID: UUID().uuidString)
                )
            }
            #expect(elsewhere.message.contains("issuer"))
            let stale = try await #require(throws: GraphError.self) {
                let proof = try bootstrap.proof(objectID: objectID, now: Date().addingTimeInterval(-3600))
                return try await graph.addKey(to: objectID, certificate: new.certificateDER, displayName: "x", proof: proof)
            }
            #expect(stale.message.contains("lifetime"))
            let added = try await graph.addKey(
                to: objectID,
                certificate: new.certificateDER,
                displayName: "keyrotd signing primary",
                proof: try bootstrap.proof(objectID: objectID)
            )
            #expect(added.kind == .certificate && added.thumbprint == new.thumbprint)
            let source = ClientCertificateSource(endpoint: h.entra(clientID: clientID), pem: new.pem, algorithm: .ps256)
            _ = try await source.fetchToken(scope: h.emulator.info.baseURL + "/.default", claims: nil)
            #expect(try await graph.removeKey(from: objectID, keyID: added.keyID, proof: try bootstrap.proof(objectID: objectID)))
            await #expect(throws: EntraError.self) { try await source.fetchToken(scope: h.emulator.info.baseURL + "/.default", claims: nil) }
            #expect(try await graph.removeKey(from: objectID, keyID: added.keyID, proof: try bootstrap.proof(objectID: objectID)) == false)
        }
    }

    @Test func graphWantsAGraphTokenFromEveryCaller() async throws {
        try await EmulatorHarness.with { h in
            let app = try await register(h, "{}")
            let anonymous = try await h.raw("GET", "/v1.0/applications/\(app.objectID)")
            #expect(anonymous.status == 401 && String(decoding: anonymous.body, as: UTF8.self).contains("InvalidAuthenticationToken"))
            let vaultToken = try await h.credential().token(scope: "https://vault.azure.net/.default").token.exposedValue
            let wrongAudience = try await h.raw("GET", "/v1.0/applications/\(app.objectID)", headers: [("Authorization", "Bearer " + vaultToken)])
            #expect(wrongAudience.status == 401)
            let body = try #require(try JSONSerialization.jsonObject(with: Data(wrongAudience.body)) as? [String: Any])
            let inner = try #require((body["error"] as? [String: Any])?["innerError"] as? [String: Any])
            #expect(inner["request-id"] is String && inner["date"] is String)
        }
    }
}
