import AzureClient
import Foundation
import KeyRotation
import Logging
import Testing

/// Long-running regenerations against scripted ARM answers: journaled before the first poll,
/// `Retry-After` honoured, polls sent only to ARM's own host, every end told apart.
struct ARMClientLongRunningTests {
    let id = ResourceID(parsing: "/subscriptions/sub/resourceGroups/rg/providers/Microsoft.SignalRService/signalR/chat")!
    static let operation =
        "https://arm.example/subscriptions/sub/providers/Microsoft.SignalRService/locations/westeurope/operationStatuses/op1?api-version=2024-03-01"

    actor Journal {
        private(set) var operations: [LongRunningOperation] = []
        private(set) var requestsAtJournaling: [Int] = []
        func record(_ operation: LongRunningOperation, requests: Int) {
            operations.append(operation)
            requestsAtJournaling.append(requests)
        }
    }

    func client(_ transport: ScriptedTransport, _ sleeps: SleepRecorder = SleepRecorder()) -> ARMClient {
        ARMClient(
            endpoint: URL(string: "https://arm.example")!,
            scope: "https://arm.example/.default",
            credential: StaticCredential(),
            transport: transport,
            retry: RetryPolicy(maxAttempts: 3, base: .milliseconds(10), cap: .milliseconds(50)),
            sleep: { await sleeps.record($0) },
            logger: Logger(label: "test")
        )
    }

    @Test func aRegenerationAnsweredWith202IsJournaledThenPolledToItsEnd() async throws {
        let transport = ScriptedTransport([
            .respond(202, [("Azure-AsyncOperation", Self.operation), ("Location", Self.operation + "&x=1"), ("Retry-After", "3")], ""),
            .respond(200, [("Retry-After", "2")], #"{"status":"InProgress"}"#),
            .respond(200, [], #"{"status":"Succeeded"}"#),
        ])
        let sleeps = SleepRecorder()
        let journal = Journal()
        let keys = try await client(transport, sleeps).regenerateKey(id, slot: .secondary, apiVersion: "2024-03-01") { operation in
            await journal.record(operation, requests: await transport.requests.count)
        }
        #expect(keys.isEmpty, "a long-running answer carries no keys: they are listed after it ended")
        let operations = await journal.operations
        #expect(operations.map(\.url) == [Self.operation])
        #expect(operations.first?.isAsyncOperation == true && operations.first?.slot == .secondary)
        #expect(await journal.requestsAtJournaling == [1], "journaled before the first poll")
        let requests = await transport.requests
        #expect(requests.map(\.method) == ["POST", "GET", "GET"])
        #expect(requests.last?.url.absoluteString == Self.operation)
        #expect(String(decoding: requests[0].body, as: UTF8.self) == #"{"keyType":"Secondary"}"#)
        #expect(await sleeps.sleeps == [.seconds(2)], "ARM's Retry-After between polls")
    }

    @Test func aFailedOperationIsAFailureWithARMsCode() async throws {
        let transport = ScriptedTransport([
            .respond(202, [("Azure-AsyncOperation", Self.operation)], ""),
            .respond(200, [("x-ms-request-id", "rid")], #"{"status":"Failed","error":{"code":"Conflict","message":"another operation"}}"#),
        ])
        let error = await #expect(throws: ARMError.self) {
            try await client(transport).regenerateKey(id, slot: .primary, apiVersion: "2024-03-01") { _ in }
        }
        #expect(error?.code == "RegenerationFailed")
        #expect(error?.message.contains("Conflict: another operation") == true)
    }

    @Test func aLocationIsPolledUntilItStopsAnswering202() async throws {
        let location = Self.operation.replacing("operationStatuses", with: "operationResults")
        let transport = ScriptedTransport([
            .respond(202, [("Location", location)], ""),
            .respond(202, [("Location", location)], ""),
            .respond(204, [], ""),
        ])
        let result = try await client(transport).follow(
            LongRunningOperation(slot: .primary, url: location, isAsyncOperation: false, acceptedAt: Date()),
            id: id
        )
        #expect(result == .completed)
        #expect(await transport.requests.count == 3)
    }

    @Test func anOperationARMForgotIsLost() async throws {
        let transport = ScriptedTransport([.respond(404, [], #"{"error":{"code":"NotFound","message":"gone"}}"#)])
        let result = try await client(transport).follow(
            LongRunningOperation(slot: .primary, url: Self.operation, isAsyncOperation: true, acceptedAt: Date()),
            id: id
        )
        #expect(result == .lost)
    }

    /// keyrotd's token goes to ARM only: an operation URL on another host is refused unpolled.
    @Test func anOperationOnAnotherHostIsNeverPolled() async throws {
        let transport = ScriptedTransport([
            .respond(202, [("Azure-AsyncOperation", "https://collector.example/operationStatuses/op1")], "")
        ])
        let journal = Journal()
        let error = await #expect(throws: ARMError.self) {
            try await client(transport).regenerateKey(id, slot: .primary, apiVersion: "2024-03-01") { await journal.record($0, requests: 0) }
        }
        #expect(error?.code == "ForeignOperationURL")
        #expect(await journal.operations.isEmpty)
        #expect(await transport.requests.count == 1)
    }
}
