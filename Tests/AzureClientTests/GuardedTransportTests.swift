import AzureClient
import Foundation
import KeyRotation
import Testing

/// The guard is asked before every write, with the request's timeout, and a refusal sends nothing.
struct GuardedTransportTests {
    actor Guard: MutationGuard {
        var leading = true
        private(set) var horizons: [Duration] = []
        func set(leading: Bool) { self.leading = leading }
        func permit(within horizon: Duration) throws {
            horizons.append(horizon)
            guard leading else { throw NotLeader(node: "node-a") }
        }
    }

    @Test func writesAskTheGuardAndReadsDoNot() async throws {
        let base = ScriptedTransport([.respond(200, [], "{}"), .respond(200, [], "{}"), .respond(200, [], "{}")])
        let permits = Guard()
        let transport = GuardedTransport(base, guard: permits)
        let url = URL(string: "https://management.azure.com/x")!
        _ = try await transport.send(HTTPRequestData(method: "GET", url: url), timeout: .seconds(30))
        _ = try await transport.send(HTTPRequestData(method: "POST", url: url), timeout: .seconds(30))
        #expect(await permits.horizons == [.seconds(30)])
        await permits.set(leading: false)
        await #expect(throws: NotLeader.self) { try await transport.send(HTTPRequestData(method: "PUT", url: url), timeout: .seconds(10)) }
        _ = try await transport.send(HTTPRequestData(method: "HEAD", url: url), timeout: .seconds(10))
        #expect(await base.requests.map(\.method) == ["GET", "POST", "HEAD"])
    }
}
