import Foundation
import Hooks
import KeyRotation
import Testing

struct SubprocessHookRunnerTests {
    private let runner = SubprocessHookRunner(executor: nil, sleep: { try await Task.sleep(for: $0) })

    private func hook(_ script: String, timeout: Duration = .seconds(30)) -> HookCommand {
        HookCommand(argv: ["/bin/sh", "-c", script], timeout: timeout, origin: "test")
    }

    @Test func aSucceedingHookHasItsOutputCaptured() async {
        let result = await runner.run(hook("echo to-stdout; echo to-stderr >&2"), environment: [:], redacting: [])
        #expect(result.succeeded)
        #expect(result.output == "to-stdout\nto-stderr")
        #expect(result.discardedBytes == 0)
    }

    @Test func theEnvironmentIsExactlyWhatItIsGiven() async {
        let given = ["KEYROTD_RESOURCE": "acs-001", "KEYROTD_KEY": "secondary", "PATH": "/usr/bin:/bin"]
        let result = await runner.run(HookCommand(argv: ["/usr/bin/env"], origin: "test"), environment: given, redacting: [])
        #expect(result.succeeded)
        let seen = Set(result.output.split(separator: "\n").map(String.init))
        #expect(seen == Set(given.map { "\($0.key)=\($0.value)" }), "nothing of the daemon's own environment leaks in")
    }

    @Test func aNonZeroExitIsAFailure() async {
        let result = await runner.run(hook("echo cannot reload; exit 3"), environment: [:], redacting: [])
        #expect(result.termination == .exited(3))
        #expect(!result.succeeded)
        #expect(result.output == "cannot reload")
    }

    @Test func aHangingHookAndWhatItStartedAreTerminatedAtTheTimeout() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("hook-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let pidFile = directory.appendingPathComponent("child.pid").path
        let result = await runner.run(
            hook("sleep 300 & echo $! > \(pidFile); echo started; wait", timeout: .milliseconds(500)),
            environment: [:],
            redacting: []
        )
        #expect(result.termination == .timedOut)
        #expect(result.output == "started")
        let child = try #require(pid_t(String(contentsOfFile: pidFile, encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)))
        // Gone, or a zombie waiting for init: either way no longer running. The group's signal reached
        // the child when the runner returned, but on a loaded machine the kernel may not have run
        // its exit yet; that, not keyrotd's code, is what the bounded poll waits for.
        func state() -> Substring? {
            (try? String(contentsOfFile: "/proc/\(child)/stat", encoding: .utf8))?.split(separator: " ").dropFirst(2).first
        }
        let deadline = ContinuousClock.now + .seconds(10)
        while let running = state(), running != "Z", ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let last = state()
        #expect(last == nil || last == "Z", "the hook's own child was terminated with it")
    }

    @Test func aHookIgnoringSIGTERMIsKilled() async {
        let result = await runner.run(
            hook("trap '' TERM; echo stubborn; while :; do sleep 1; done", timeout: .milliseconds(300)),
            environment: [:],
            redacting: []
        )
        #expect(result.termination == .timedOut)
        #expect(result.output == "stubborn")
    }

    @Test func megabytesOfOutputAreReadButOnlyTheStartIsKept() async {
        let result = await runner.run(hook("head -c 20000000 /dev/zero | tr '\\000' x; exit 0"), environment: [:], redacting: [])
        #expect(result.succeeded)
        #expect(result.output.utf8.count == SubprocessHookRunner.outputLimit)
        #expect(result.output.utf8.count + result.discardedBytes == 20_000_000)
    }

    @Test func secretsItPrintsAreRedacted() async {
        let key = "c2VjcmV0LWtleS1tYXRlcmlhbA=="
        let connection = "endpoint=https://x.communication.azure.com/;accesskey=\(key)"
        let result = await runner.run(
            hook("echo \"$0\"; echo \"$1\"", timeout: .seconds(30)).with(arguments: [connection, key]),
            environment: [:],
            redacting: [connection, key]
        )
        #expect(result.succeeded)
        #expect(result.output == "[redacted]\n[redacted]")
    }

    @Test func aMissingProgramIsReportedAsNotStarted() async {
        let result = await runner.run(HookCommand(argv: ["/nonexistent/keyrotd-hook"], origin: "test"), environment: [:], redacting: [])
        guard case .notStarted(let reason) = result.termination else {
            Issue.record("expected notStarted, got \(result.termination)")
            return
        }
        #expect(!reason.isEmpty)
    }
}

extension HookCommand {
    fileprivate func with(arguments: [String]) -> HookCommand {
        var copy = self
        copy.argv += arguments
        return copy
    }
}
