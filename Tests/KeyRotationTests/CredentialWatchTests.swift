import Foundation
import KeyRotation
import Logging
import Synchronization
import Testing

/// The expiry watch against scripted applications and a manual clock.
struct CredentialWatchTests {
    /// An application whose credentials the test sets, or whose read fails.
    final class ScriptedApplication: ApplicationCredentialSource {
        let box = Mutex<Result<[ApplicationCredential], FakeError>>(.success([]))
        func set(_ result: Result<[ApplicationCredential], FakeError>) { box.withLock { $0 = result } }
        func credentials() async throws -> [ApplicationCredential] { try box.withLock { $0 }.get() }
    }

    /// The names `rotateNow` was called with.
    final class Rotations: Sendable {
        let names = Mutex<[String]>([])
    }

    static let day: TimeInterval = 86_400

    func password(_ name: String, ends end: Date) -> ApplicationCredential {
        ApplicationCredential(kind: .password, keyID: UUID().uuidString.lowercased(), displayName: name, start: nil, end: end)
    }

    @Test func everyCredentialIsShownAndTheDueOnesWarnedOncePerDay() async throws {
        let clock = ManualClock()
        let now = clock.now()
        let partner = ScriptedApplication()
        let certificate = ApplicationCredential(
            kind: .certificate,
            keyID: "c1",
            displayName: "CN=sso",
            start: nil,
            end: now.addingTimeInterval(3 * Self.day)
        )
        partner.set(.success([password("made by hand", ends: now.addingTimeInterval(200 * Self.day)), certificate]))
        let records = LogRecords()
        let rotations = Rotations()
        let watch = CredentialWatch(
            applications: [WatchedApplication(name: "partner", warning: .seconds(14 * 86_400), ownPrefix: nil, source: partner)],
            clock: clock,
            interval: .seconds(3600),
            logger: Logger(label: "test") { _ in RecordingLogHandler(records: records) },
            rotateNow: { name in rotations.names.withLock { $0.append(name) } }
        )
        await watch.pass()
        let figures = try #require(await watch.current.first)
        #expect(figures.credentials.map(\.keyID).first == "c1" && figures.credentials.count == 2 && figures.readAt == now)
        #expect(figures.text(now: now).contains("nearest certificate \"CN=sso\" ends in 3d"))
        #expect(records.messages.filter { $0.contains("\"CN=sso\" (c1) of application partner ends at") }.count == 1)
        // Hourly reads do not repeat the warning; a day later it comes again.
        await clock.advance(by: .seconds(3600))
        await watch.pass()
        #expect(records.messages.filter { $0.contains("(c1)") }.count == 1)
        await clock.advance(by: .seconds(86_400))
        await watch.pass()
        #expect(records.messages.filter { $0.contains("(c1)") }.count == 2)
        // An ended credential says it is refused; a watched application is never rotated.
        await clock.advance(by: .seconds(2 * 86_400))
        await watch.pass()
        #expect(records.messages.contains { $0.contains("(c1)") && $0.contains("sign-ins with it are refused (AADSTS7000222)") })
        #expect(rotations.names.withLock { $0 }.isEmpty)
        // A failed read keeps the last figures and says why.
        partner.set(.failure(.injected))
        await watch.pass()
        let failed = try #require(await watch.current.first)
        #expect(failed.error != nil && failed.credentials.count == 2)
    }

    @Test func keyrotdsOwnSecretNearingItsEndOrGoneStartsARotation() async throws {
        let clock = ManualClock()
        let now = clock.now()
        let billing = ScriptedApplication()
        let rotations = Rotations()
        let watch = CredentialWatch(
            applications: [WatchedApplication(name: "billing", warning: .seconds(14 * 86_400), ownPrefix: "keyrotd billing ", source: billing)],
            clock: clock,
            interval: .seconds(3600),
            logger: Logger(label: "test"),
            rotateNow: { name in rotations.names.withLock { $0.append(name) } }
        )
        // The published (newest) secret is far from its end; the one in grace and another party's near theirs.
        billing.set(
            .success([
                password("keyrotd billing primary 2026-12-01T00:00:00Z", ends: now.addingTimeInterval(10 * Self.day)),
                password("keyrotd billing secondary 2026-12-08T00:00:00Z", ends: now.addingTimeInterval(90 * Self.day)),
                password("keyrotd billing-2 primary 2026-12-01T00:00:00Z", ends: now.addingTimeInterval(1 * Self.day)),
            ])
        )
        await watch.pass()
        #expect(rotations.names.withLock { $0 }.isEmpty)
        billing.set(.success([password("keyrotd billing secondary 2026-12-08T00:00:00Z", ends: now.addingTimeInterval(13 * Self.day))]))
        await watch.pass()
        #expect(rotations.names.withLock { $0 } == ["billing"])
        billing.set(.success([password("made by hand", ends: now.addingTimeInterval(300 * Self.day))]))
        await watch.pass()
        #expect(rotations.names.withLock { $0 } == ["billing", "billing"])
    }

    @Test func runReadsAtOnceAndEveryIntervalAndStopsWhenCancelled() async throws {
        let clock = ManualClock()
        let partner = ScriptedApplication()
        partner.set(.success([password("x", ends: clock.now().addingTimeInterval(100 * Self.day))]))
        let changes = Mutex(0)
        let watch = CredentialWatch(
            applications: [WatchedApplication(name: "partner", warning: .seconds(86_400), ownPrefix: nil, source: partner)],
            clock: clock,
            interval: .seconds(60),
            logger: Logger(label: "test"),
            rotateNow: { _ in },
            onChange: { changes.withLock { $0 += 1 } }
        )
        let run = Task { try await watch.run() }
        try await LeaderCoordinatorTests.eventually("the first read") { changes.withLock { $0 } >= 1 }
        await clock.advance(by: .seconds(60))
        try await LeaderCoordinatorTests.eventually("the read an interval later") { changes.withLock { $0 } >= 2 }
        run.cancel()
        try await run.value
        #expect(changes.withLock { $0 } == 2, "read again without the clock moving")
    }
}
