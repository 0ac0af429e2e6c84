import Foundation
import Glibc
import Testing

/// The daemon on the runtime's default executor: the fallback `DaemonExecutor` takes on a compiler
/// its hooks were not verified with, forced here with `KEYROTD_EXECUTOR=default`.
extension EndToEnd {
    @Suite(.serialized)
    struct ExecutorEndToEndTests {
        @Test func theDefaultExecutorFallbackRotates() async throws {
            let scenario = try await Scenario("executor", emulatorArguments: ["--no-throttle"], resources: 2, every: "1s", grace: "200ms")
            let consumerTask = Task { await scenario.consumer.run() }
            defer { consumerTask.cancel() }
            let daemon = try scenario.startDaemon(environment: ["KEYROTD_EXECUTOR": "default"])
            try await scenario.wait(for: .seconds(60), "rotations on the default executor") { scenario.totalRotations() >= 4 }
            let threads = try daemon.threadNames()
            #expect(!threads.contains("keyrotd-jobs"), "the hooks were installed all the same: \(threads)")
            #expect(threads.contains { $0.hasSuffix("-qos") }, "jobs run on Dispatch's pool: \(threads)")
            daemon.signal(SIGTERM)
            #expect(await daemon.wait(timeout: .seconds(20)) == 0)
            await scenario.consumer.stop()
            #expect(daemon.stderr.contains("keyrotd_executor=default"))
            #expect(await scenario.consumer.violations == [])
            try await scenario.finish()
        }
    }
}
