import Foundation
import KeyRotation
import Testing

@testable import AzureClient

/// The request loop every Azure client sends through, against scripted answers.
struct AuthenticatedRequestLoopTests {
    static let url = URL(string: "https://service.example/things/1")!
    static let claims = #"{"access_token":{"nbf":{"essential":true,"value":"1700000000"}}}"#
    static let challenge = (
        "WWW-Authenticate",
        #"Bearer realm="", error="insufficient_claims", claims=""# + Data(claims.utf8).base64EncodedString() + #"""#
    )

    /// Sends one request through the loop; `retried` collects the reasons the loop waited.
    func send(
        _ transport: ScriptedTransport,
        idempotent: Bool,
        method: String = "POST",
        credential: StaticCredential = StaticCredential(),
        sleeps: SleepRecorder = SleepRecorder(),
        scope: AuthenticatedRequestLoop.Scope = .fixed("https://service.example/.default"),
        refreshHeals: Bool = false
    ) async throws -> AuthenticatedRequestLoop.Answer {
        let loop = AuthenticatedRequestLoop(
            credential: credential,
            retry: RetryPolicy(maxAttempts: 4, base: .milliseconds(100), cap: .seconds(1)),
            sleep: { await sleeps.record($0) }
        )
        return try await loop.send(
            .init(operation: "create", method: method, url: Self.url, headers: [], body: Array(#"{"a":1}"#.utf8), idempotent: idempotent),
            scope: scope,
            hooks: .init(
                send: { try await transport.send($0, timeout: .seconds(5)) },
                refreshHeals: { _ in refreshHeals },
                retrying: { _, _, _ in }
            )
        )
    }

    @Test func anIdempotentRequestIsSentAgainAfterALostAnswerAndA503() async throws {
        let transport = ScriptedTransport([.fail(.connection), .respond(503, [], ""), .respond(200, [], "{}")])
        let sleeps = SleepRecorder()
        let answer = try await send(transport, idempotent: true, sleeps: sleeps)
        #expect(answer.response.status == 200)
        #expect(answer.attempts == 3)
        #expect(await transport.requests.count == 3)
        #expect(await sleeps.sleeps.count == 2)
    }

    @Test func aRequestThatIsNotIdempotentIsNotSentAgainAfterALostAnswer() async throws {
        let transport = ScriptedTransport([.fail(.timeout), .respond(200, [], "{}")])
        let error = await #expect(throws: OutcomeUnknown.self) { try await send(transport, idempotent: false) }
        #expect(error?.operation == "create")
        #expect(error?.code == "outcome-unknown")
        #expect(await transport.requests.count == 1, "sent once: a second addPassword would mint a second secret")

        // A 5xx may have been carried out as well; a 429 was not, and is waited out.
        let failing = ScriptedTransport([.respond(500, [], "")])
        await #expect(throws: OutcomeUnknown.self) { try await send(failing, idempotent: false) }
        #expect(await failing.requests.count == 1)
        let throttled = ScriptedTransport([.respond(429, [("Retry-After", "1")], ""), .respond(201, [], "{}")])
        #expect(try await send(throttled, idempotent: false).response.status == 201)
        #expect(await throttled.requests.count == 2)
    }

    @Test func aClaimsChallengeIsAnsweredOnceWithATokenCarryingItsClaims() async throws {
        let transport = ScriptedTransport([.respond(401, [Self.challenge], ""), .respond(401, [Self.challenge], "")])
        let credential = StaticCredential()
        let answer = try await send(transport, idempotent: true, credential: credential)
        #expect(answer.response.status == 401, "the second challenge is the answer: no loop of renewals")
        #expect(await credential.claims == [Self.claims])
        let requests = await transport.requests
        #expect(requests.count == 2)
        #expect(requests.map { $0.headers.first { $0.0 == "Authorization" }?.1 } == ["Bearer token-1", "Bearer token-2"])
    }

    @Test func aRefreshHealsOnlyTheAnswersTheClientSaysItDoes() async throws {
        let credential = StaticCredential()
        let healed = ScriptedTransport([.respond(401, [], ""), .respond(200, [], "{}")])
        #expect(try await send(healed, idempotent: true, credential: credential, refreshHeals: true).response.status == 200)
        #expect(await credential.invalidations == 1)
        let final = ScriptedTransport([.respond(401, [], ""), .respond(200, [], "{}")])
        #expect(try await send(final, idempotent: true, credential: credential).response.status == 401)
        #expect(await final.requests.count == 1)
    }

    @Test func aChallengedScopeIsLearnedBeforeAnyTokenOrBodyIsSent() async throws {
        let vault = ("WWW-Authenticate", #"Bearer authorization="https://login.example/t", resource="https://vault.azure.net""#)
        let transport = ScriptedTransport([.respond(401, [vault], ""), .respond(200, [], "{}")])
        let scope = ChallengedScope { response in
            let named = try #require(BearerChallenge(response.header("WWW-Authenticate"))?.scope)
            guard named == "https://vault.azure.net/.default" else { throw CancellationError() }
            return named
        }
        let answer = try await send(transport, idempotent: true, scope: .challenged(scope))
        #expect(answer.response.status == 200)
        #expect(answer.attempts == 1, "the challenge is no attempt")
        let requests = await transport.requests
        #expect(requests.count == 2)
        #expect(requests[0].headers.allSatisfy { $0.0 != "Authorization" } && requests[0].body.isEmpty)
        #expect(requests[1].headers.contains { $0.0 == "Authorization" } && !requests[1].body.isEmpty)
        #expect(scope.value == "https://vault.azure.net/.default")
    }
}
