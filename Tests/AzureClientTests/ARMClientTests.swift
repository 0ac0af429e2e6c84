import AzureClient
import Foundation
import KeyRotation
import Logging
import Testing

/// Answers requests from a script and records what was sent and slept.
actor ScriptedTransport: HTTPTransport {
    enum Step {
        case respond(Int, [(String, String)], String)
        case fail(TransportError.Kind)
    }

    private var script: [Step]
    private(set) var requests: [HTTPRequestData] = []

    init(_ script: [Step]) { self.script = script }

    func send(_ request: HTTPRequestData, timeout: Duration) async throws -> HTTPResponseData {
        requests.append(request)
        guard !script.isEmpty else { return HTTPResponseData(status: 599) }
        switch script.removeFirst() {
        case .respond(let status, let headers, let body):
            return HTTPResponseData(status: status, headers: headers, body: Array(body.utf8))
        case .fail(let kind):
            throw TransportError(kind: kind, url: request.url, detail: "scripted")
        }
    }
}

/// A fixed token, counting invalidations and the claims asked for.
actor StaticCredential: TokenCredential {
    private(set) var invalidations = 0
    private(set) var issued = 0
    private(set) var claims: [String] = []
    private(set) var scopes: [String] = []

    func token(scope: String) async throws -> AccessToken {
        issued += 1
        scopes.append(scope)
        return AccessToken(token: Secret("token-\(issued)"), expiresOn: Date().addingTimeInterval(3600), obtainedAt: Date())
    }

    func token(scope: String, claims: String) async throws -> AccessToken {
        self.claims.append(claims)
        return try await token(scope: scope)
    }

    func invalidate() async { invalidations += 1 }
}

actor SleepRecorder {
    private(set) var sleeps: [Duration] = []
    func record(_ d: Duration) { sleeps.append(d) }
}

struct ARMClientTests {
    let id = ResourceID(subscription: "sub", resourceGroup: "rg", name: "res")
    /// Keys of ACS's shape (base64 of 64 bytes).
    static let key1 = Data(repeating: 0x5A, count: 64).base64EncodedString()
    static let key2 = Data(repeating: 0xA5, count: 64).base64EncodedString()

    /// A keys answer as ARM writes it for resource `res`, with the slots given.
    static func keysBody(primary: String? = nil, secondary: String? = nil, endpoint: String = "https://res.unitedstates.communication.azure.com/")
        -> String
    {
        var fields: [String] = []
        for (slot, key) in [("primary", primary), ("secondary", secondary)] {
            guard let key else { continue }
            fields.append(#""\#(slot)Key":"\#(key)","\#(slot)ConnectionString":"endpoint=\#(endpoint);accesskey=\#(key)""#)
        }
        return "{" + fields.joined(separator: ",") + "}"
    }

    func client(
        _ transport: ScriptedTransport,
        _ credential: StaticCredential = StaticCredential(),
        _ sleeps: SleepRecorder = SleepRecorder(),
        tally: ARMTally? = nil
    ) -> ARMClient {
        ARMClient(
            endpoint: URL(string: "https://arm.example")!,
            scope: "https://arm.example/.default",
            credential: credential,
            transport: transport,
            retry: RetryPolicy(maxAttempts: 4, base: .milliseconds(100), cap: .seconds(1), retryAfterCap: .seconds(30)),
            sleep: { await sleeps.record($0) },
            tally: tally,
            logger: Logger(label: "test")
        )
    }

    @Test func theTallyCountsEveryAttemptByOperationAndAnswer() async throws {
        let transport = ScriptedTransport([
            .respond(429, [("Retry-After", "1")], #"{"error":{"code":"SubscriptionRequestsThrottled","message":"slow down"}}"#),
            .fail(.connection),
            .respond(200, [], Self.keysBody(secondary: Self.key2)),
            .respond(200, [], Self.keysBody(primary: Self.key1, secondary: Self.key2)),
        ])
        let tally = ARMTally()
        let client = client(transport, tally: tally)
        _ = try await client.regenerateKey(id, slot: .secondary, apiVersion: "2026-03-18")
        _ = try await client.listKeys(id, apiVersion: "2026-03-18")
        let requests = await tally.requests
        #expect(
            requests == [
                .init(operation: "regenerateKey", code: "429"): 1, .init(operation: "regenerateKey", code: "none"): 1,
                .init(operation: "regenerateKey", code: "200"): 1, .init(operation: "listKeys", code: "200"): 1,
            ]
        )
        #expect(requests.filter { $0.key.code == "429" }.values.reduce(0, +) == 1, "one throttled request")
    }

    @Test func retriesRetryableStatusesHonouringRetryAfterAndKeepsTheClientRequestID() async throws {
        let transport = ScriptedTransport([
            .respond(429, [("Retry-After", "2")], #"{"error":{"code":"SubscriptionRequestsThrottled","message":"slow down"}}"#),
            .respond(503, [("retry-after-ms", "150")], ""),
            .fail(.connection),
            .respond(200, [("x-ms-request-id", "rid-1")], Self.keysBody(secondary: Self.key2)),
        ])
        let sleeps = SleepRecorder()
        let keys = try await client(transport, StaticCredential(), sleeps).regenerateKey(id, slot: .secondary, apiVersion: "2026-03-18")
        #expect(keys.secondary?.value.exposedValue == Self.key2)
        #expect(keys.primary == nil)
        let recorded = await sleeps.sleeps
        #expect(recorded.count == 3)
        #expect(recorded[0] == .seconds(2))
        #expect(recorded[1] == .milliseconds(150))
        #expect(recorded[2] <= .milliseconds(400))
        let requests = await transport.requests
        let ids = Set(requests.map { r in r.headers.first { $0.0 == "x-ms-client-request-id" }!.1 })
        #expect(ids.count == 1)
        #expect(
            requests[0].url.absoluteString
                == "https://arm.example/subscriptions/sub/resourceGroups/rg/providers/Microsoft.Communication/communicationServices/res/regenerateKey?api-version=2026-03-18"
        )
        #expect(String(decoding: requests[0].body, as: UTF8.self) == #"{"keyType":"Secondary"}"#)
    }

    @Test func doesNotRetryOtherClientErrorsAndReportsCodeAndRequestID() async throws {
        let transport = ScriptedTransport([
            .respond(
                404,
                [("x-ms-request-id", "rid-404")],
                #"{"error":{"code":"ResourceNotFound","message":"The Resource 'Microsoft.Communication/CommunicationServices/res' under resource group 'rg' was not found."}}"#
            )
        ])
        let error = await #expect(throws: ARMError.self) { try await client(transport).listKeys(id, apiVersion: "2026-03-18") }
        #expect(error?.code == "ResourceNotFound")
        #expect(error?.requestID == "rid-404")
        #expect(error?.description.contains("rid-404") == true)
        #expect(error?.description.contains("check the resource id") == true)
        #expect(await transport.requests.count == 1)
        // The state record keeps ARM's code beside the message, for `keyrotd status` and alerts.
        #expect(RecordedError(try #require(error), at: Date(timeIntervalSince1970: 0)).code == "ResourceNotFound")
    }

    @Test func refreshesAnExpiredTokenOnceOnly() async throws {
        let expired = #"{"error":{"code":"ExpiredAuthenticationToken","message":"expired"}}"#
        let transport = ScriptedTransport([.respond(401, [], expired), .respond(401, [], expired)])
        let credential = StaticCredential()
        let error = await #expect(throws: ARMError.self) { try await client(transport, credential).listKeys(id, apiVersion: "2026-03-18") }
        #expect(error?.code == "ExpiredAuthenticationToken")
        #expect(await credential.invalidations == 1)
        #expect(await transport.requests.count == 2)
    }

    @Test func answersAContinuousAccessEvaluationChallengeWithTheClaimsOnce() async throws {
        let claims = #"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#
        let challenge = [
            (
                "WWW-Authenticate",
                #"Bearer authorization_uri="https://login.microsoftonline.com/common/oauth2/authorize", error="insufficient_claims", claims=""#
                    + Data(claims.utf8).base64EncodedString() + "\""
            )
        ]
        let refused = #"{"error":{"code":"InvalidAuthenticationToken","message":"challenge"}}"#
        let transport = ScriptedTransport([
            .respond(401, challenge, refused), .respond(200, [], Self.keysBody(primary: Self.key1, secondary: Self.key2)),
        ])
        let credential = StaticCredential()
        _ = try await client(transport, credential).listKeys(id, apiVersion: "2026-03-18")
        #expect(await credential.claims == [claims])
        let sent = await transport.requests.map { $0.headers.first { $0.0 == "Authorization" }?.1 }
        #expect(sent == ["Bearer token-1", "Bearer token-2"])

        // A second challenge right after the new token is not chased: the error surfaces.
        let again = ScriptedTransport([.respond(401, challenge, refused), .respond(401, challenge, refused)])
        let error = await #expect(throws: ARMError.self) { try await client(again, StaticCredential()).listKeys(id, apiVersion: "2026-03-18") }
        #expect(error?.code == "InvalidAuthenticationToken")
        #expect(await again.requests.count == 2)
    }

    @Test func givesUpAfterBoundedAttemptsAndNeverQuotesAMalformedBody() async throws {
        let body = #"{"primaryKey":"SECRET-VALUE-"#
        let transport = ScriptedTransport(Array(repeating: .respond(200, [], body), count: 4))
        let error = await #expect(throws: ARMError.self) { try await client(transport).listKeys(id, apiVersion: "2026-03-18") }
        #expect(error?.code == "MalformedResponse")
        #expect(error?.attempts == 4)
        #expect(error?.description.contains("SECRET") == false)
        #expect(await transport.requests.count == 4)
    }

    /// Every garbage or hostile answer: refused with the request id, never quoted, nothing returned.
    @Test(arguments: [
        (
            #"{"secondaryKey":"\#(key2)\nEVIL=1","secondaryConnectionString":"endpoint=https://res.communication.azure.com/;accesskey=\#(key2)\nEVIL=1"}"#,
            "InvalidKeyValue", "control character"
        ),
        (#"{"secondaryKey":"\#(key2)\u001b[2J"}"#, "InvalidKeyValue", "control character"),
        (#"{"secondaryKey":"\#(key2)%"}"#, "InvalidKeyValue", "not base64"),
        (
            #"{"secondaryKey":"\#(key2)","secondaryConnectionString":"endpoint=https://res.communication.azure.com/;accesskey=\#(key1)"}"#,
            "InvalidKeyValue", "not the answer's key"
        ),
        (
            #"{"secondaryKey":"\#(key2)","secondaryConnectionString":"endpoint=https://evil.example/;accesskey=\#(key2)"}"#, "InvalidKeyValue",
            "endpoint"
        ),
        (
            #"{"secondaryKey":"\#(key2)","secondaryConnectionString":"endpoint=http://res.communication.azure.com/;accesskey=\#(key2)"}"#,
            "InvalidKeyValue", "endpoint"
        ),
        (
            #"{"secondaryKey":"\#(key2)","secondaryConnectionString":"endpoint=https://res.communication.azure.com/;accesskey=\#(key2);extra=1"}"#,
            "InvalidKeyValue", "field other than"
        ),
        (
            #"{"secondaryKey":"\#(key2)","secondaryConnectionString":"endpoint=https://res.communication.azure.com/;accesskey=\#(key2)\"x"}"#,
            "InvalidKeyValue", "quote"
        ),
        (#"{"secondaryKey":"QUJD"}"#, "InvalidKeyValue", "has 4 characters"),
        (#"{"secondaryKey":4242}"#, "MalformedResponse", "secondaryKey is not a string"),
        (#"{"secondaryKey":["\#(key2)"]}"#, "MalformedResponse", "secondaryKey is not a string"),
        (#"{}"#, "MalformedResponse", "neither key"),
        (#"{"primaryKey":null}"#, "MalformedResponse", "neither key"),
    ])
    func refusesEveryValueThatIsNotAKeyOfTheType(body: String, code: String, reason: String) async throws {
        let transport = ScriptedTransport([.respond(200, [("x-ms-request-id", "rid-bad")], body)])
        let error = await #expect(throws: ARMError.self) { try await client(transport).listKeys(id, apiVersion: "2026-03-18") }
        #expect(error?.code == code)
        #expect(error?.requestID == "rid-bad")
        #expect(error?.description.contains(reason) == true, "\(String(describing: error))")
        #expect(error?.description.contains("rid-bad") == true)
        for secret in [Self.key1, Self.key2, "EVIL", "evil.example"] {
            #expect(error?.description.contains(secret) == false, "the error quotes a value: \(String(describing: error))")
        }
    }

    @Test func acceptsTheShapesARMAndTheEmulatorGive() async throws {
        for endpoint in ["https://res.communication.azure.com/", "https://RES.europe.communication.azure.com", "https://127.0.0.1:8443/acs/res/"] {
            let transport = ScriptedTransport([.respond(200, [], Self.keysBody(primary: Self.key1, secondary: Self.key2, endpoint: endpoint))])
            let keys = try await client(transport).listKeys(id, apiVersion: "2026-03-18")
            #expect(keys.primary?.value.exposedValue == Self.key1)
            #expect(keys.secondary?.value.exposedValue == Self.key2)
        }
    }

    @Test func aRetryAfterBeyondTheCapEndsTheOperation() async throws {
        let transport = ScriptedTransport([.respond(429, [("Retry-After", "3600")], #"{"error":{"code":"TooManyRequests","message":"x"}}"#)])
        let error = await #expect(throws: ARMError.self) { try await client(transport).regenerateKey(id, slot: .primary, apiVersion: "2026-03-18") }
        #expect(error?.status == 429)
        #expect(await transport.requests.count == 1)
    }

    @Test func tlsFailuresAreNotRetried() async throws {
        let transport = ScriptedTransport([.fail(.tls)])
        await #expect(throws: TransportError.self) { try await client(transport).listKeys(id, apiVersion: "2026-03-18") }
        #expect(await transport.requests.count == 1)
    }
}

struct RetryPolicyTests {
    @Test func readsEveryRetryAfterForm() {
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        #expect(RetryPolicy.serverDelay(HTTPResponseData(status: 429, headers: [("Retry-After", "7")])) == .seconds(7))
        #expect(RetryPolicy.serverDelay(HTTPResponseData(status: 429, headers: [("x-ms-retry-after-ms", "250")])) == .milliseconds(250))
        // 1_800_000_000 is Fri, 15 Jan 2027 08:00:00 GMT.
        let date = HTTPResponseData(status: 503, headers: [("Retry-After", "Fri, 15 Jan 2027 08:00:10 GMT")])
        #expect(RetryPolicy.serverDelay(date, now: now) == .seconds(10))
        #expect(RetryPolicy.serverDelay(HTTPResponseData(status: 503, headers: [("Retry-After", "soon")]), now: now) == nil)
    }

    @Test func backoffIsBoundedByTheCap() {
        let policy = RetryPolicy(maxAttempts: 10, base: .milliseconds(500), cap: .seconds(30))
        for attempt in 1...20 {
            #expect(policy.backoff(afterAttempt: attempt, fraction: 0.999) <= .seconds(30))
        }
        #expect(policy.backoff(afterAttempt: 1, fraction: 1) == .milliseconds(500))
        #expect(policy.backoff(afterAttempt: 3, fraction: 1) == .milliseconds(2000))
    }
}

struct AsyncHTTPClientTransportTests {
    @Test func refusesPlainHTTPOffLoopback() async throws {
        let transport = AsyncHTTPClientTransport()
        let error = await #expect(throws: TransportError.self) {
            try await transport.send(HTTPRequestData(method: "GET", url: URL(string: "http://management.azure.com/")!), timeout: .seconds(1))
        }
        #expect(error?.kind == .refused)
        try await transport.shutdown()
    }
}
