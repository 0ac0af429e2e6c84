import KeyRotation
import Subprocess
import SystemPackage

/// Runs `on_publish` hooks with swift-subprocess.
///
/// Each hook gets its own process group, `/dev/null` as input, and exactly the environment it is
/// given (the daemon's own environment may hold a client secret). Its standard output and error
/// are read as they come, so a chatty hook never blocks on a full pipe; the first
/// ``outputLimit`` bytes are kept for the journal and the rest is counted and dropped. When the
/// timeout passes, the whole group gets SIGTERM and, ``HookCommand/killAfter`` later, SIGKILL.
public struct SubprocessHookRunner: HookRunner {
    /// How much of a hook's output reaches the journal.
    public static let outputLimit = 4096

    private let executor: (any TaskExecutor)?
    private let sleep: @Sendable (Duration) async throws -> Void

    /// Creates the runner. swift-subprocess polls for cancellation with `Task.sleep` while a hook
    /// runs: `executor` (the daemon's job threads) runs those, instead of Dispatch's pool, and
    /// `sleep` (the daemon's timer) times the hook out.
    public init(executor: (any TaskExecutor)?, sleep: @escaping @Sendable (Duration) async throws -> Void) {
        self.executor = executor
        self.sleep = sleep
    }

    public func run(_ hook: HookCommand, environment: [String: String], redacting secrets: [String]) async -> HookResult {
        let start = ContinuousClock.now
        var options = PlatformOptions()
        // A group of its own, so a timeout also ends whatever the hook started.
        options.processGroupID = 0
        let teardown: [TeardownStep] = [.gracefulShutDown(toProcessGroup: true, allowedDurationToNextStep: HookCommand.killAfter)]
        options.teardownSequence = teardown
        // Enough beyond the limit that a secret straddling it is still whole when redacted.
        let keep = Self.outputLimit + 1024
        do {
            let result = try await withTaskExecutorPreference(executor) {
                try await Subprocess.run(
                    .path(FilePath(hook.program)),
                    arguments: Arguments(Array(hook.argv.dropFirst())),
                    environment: .custom(
                        Dictionary(
                            uniqueKeysWithValues: environment.compactMap { name, value in Environment.Key(rawValue: name).map { ($0, value) } }
                        )
                    ),
                    platformOptions: options,
                    input: .none,
                    output: .sequence,
                    error: .combinedWithOutput
                ) { execution in
                    try await withThrowingTaskGroup(of: Event.self) { group in
                        group.addTask {
                            var capture = Capture()
                            for try await buffer in execution.standardOutput {
                                buffer.withUnsafeBytes { capture.append($0, keeping: keep) }
                            }
                            return .read(capture)
                        }
                        group.addTask {
                            do {
                                try await sleep(hook.timeout)
                            } catch {
                                return .timerStopped
                            }
                            await execution.teardown(using: teardown)
                            return .timedOut
                        }
                        var capture = Capture()
                        while let event = try await group.next() {
                            switch event {
                            case .read(let read):
                                capture.bytes = read.bytes
                                capture.discarded = read.discarded
                                group.cancelAll()
                            case .timedOut:
                                capture.timedOut = true
                            case .timerStopped:
                                break
                            }
                        }
                        return capture
                    }
                }
            }
            let capture = result.closureResult
            let termination: HookResult.Termination
            switch result.terminationStatus {
            case _ where capture.timedOut: termination = .timedOut
            case .exited(let status): termination = .exited(status)
            case .signaled(let signal): termination = .signaled(signal)
            }
            let (output, cut) = Self.redacted(capture.bytes, secrets: secrets)
            return HookResult(
                termination: termination,
                output: output,
                discardedBytes: capture.discarded + cut,
                duration: .now - start
            )
        } catch {
            return HookResult(termination: .notStarted(Self.reason(error)), duration: .now - start)
        }
    }

    /// The captured text with every secret replaced, cut to ``outputLimit`` bytes; and how many bytes were cut.
    static func redacted(_ bytes: [UInt8], secrets: [String]) -> (String, Int) {
        var text = String(decoding: bytes, as: UTF8.self)
        for secret in secrets where !secret.isEmpty {
            text = text.replacing(secret, with: "[redacted]")
        }
        var utf8 = Array(text.utf8)
        let cut = max(0, utf8.count - outputLimit)
        if cut > 0 { utf8.removeLast(cut) }
        return (String(decoding: utf8, as: UTF8.self).trimmingTrailingWhitespace, cut)
    }

    private static func reason(_ error: any Error) -> String {
        if let error = error as? SubprocessError, let underlying = error.underlyingError {
            return "\(underlying)"
        }
        return "\(error)"
    }
}

/// What the reader and the timer of one hook run report.
private enum Event: Sendable {
    case read(Capture)
    case timedOut
    case timerStopped
}

/// What was read of a hook's output.
private struct Capture: Sendable {
    var bytes: [UInt8] = []
    var discarded = 0
    var timedOut = false

    mutating func append(_ chunk: UnsafeRawBufferPointer, keeping limit: Int) {
        let room = max(0, limit - bytes.count)
        bytes.append(contentsOf: chunk.prefix(room))
        discarded += max(0, chunk.count - room)
    }
}

extension String {
    fileprivate var trimmingTrailingWhitespace: String {
        var view = Substring(self)
        while let last = view.last, last.isWhitespace { view.removeLast() }
        return String(view)
    }
}
