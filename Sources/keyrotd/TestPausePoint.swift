import AzureClient
import FoundationEssentials
import Glibc
import KeyRotation
import Synchronization

/// `KEYROTD_TEST_PAUSE_AT=POINT`: a leader stops itself (`SIGSTOP`) the first time its rotation
/// reaches `POINT`, so that a test can hold it there past its lease and see what it does when it
/// is continued. Only tests set it; without it nothing is wrapped.
enum TestPausePoint: String {
    /// A regeneration's intent is in the journal; the rotator has not yet checked that its lease holds.
    case afterIntent = "after-intent"
    /// The rotator's check passed; the transport's own check, just before sending, has not run.
    case beforeCheck = "before-check"
    /// ARM carried the regeneration out and answered; the answer is not yet in the journal.
    case afterSend = "after-send"

    /// The point the environment names, if any.
    static let configured = ProcessInfo.processInfo.environment["KEYROTD_TEST_PAUSE_AT"].flatMap(TestPausePoint.init(rawValue:))

    private static let reached = Atomic<Bool>(false)

    /// Stops the process, once, when `point` is the configured one.
    static func pause(at point: TestPausePoint) {
        guard configured == point, !reached.exchange(true, ordering: .relaxed) else { return }
        raise(SIGSTOP)
    }

    /// `store`, pausing after it saves a regeneration's intent when that is the configured point.
    static func wrap(_ store: any StateStore) -> any StateStore {
        configured == .afterIntent ? PausingStateStore(base: store) : store
    }

    /// `transport`, pausing around a regeneration request when the configured point is there.
    static func wrap(_ transport: any HTTPTransport) -> any HTTPTransport {
        configured == .beforeCheck || configured == .afterSend ? PausingTransport(base: transport) : transport
    }
}

/// A state store that pauses after saving a regeneration's intent (``TestPausePoint/afterIntent``).
private struct PausingStateStore: StateStore {
    let base: any StateStore

    func load(_ resource: String) throws -> ResourceState? { try base.load(resource) }

    func save(_ state: ResourceState, for resource: String) async throws {
        try await base.save(state, for: resource)
        if case .rotating(let rotation) = state.step, case .regenerating = rotation.phase, state.pendingOperation == nil {
            TestPausePoint.pause(at: .afterIntent)
        }
    }
}

/// A transport that pauses before a regeneration request reaches the guarded transport
/// (``TestPausePoint/beforeCheck``) or after its answer came back (``TestPausePoint/afterSend``).
private struct PausingTransport: HTTPTransport {
    let base: any HTTPTransport

    func send(_ request: HTTPRequestData, timeout: Duration) async throws -> HTTPResponseData {
        let regeneration = request.method == "POST" && request.url.path.lowercased().contains("regenerate")
        if regeneration { TestPausePoint.pause(at: .beforeCheck) }
        let response = try await base.send(request, timeout: timeout)
        if regeneration { TestPausePoint.pause(at: .afterSend) }
        return response
    }
}
