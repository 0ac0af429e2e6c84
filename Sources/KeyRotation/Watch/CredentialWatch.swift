import FoundationEssentials
import Logging
import ServiceLifecycle

/// Reads every configured application's credentials every `interval`: their end times go to the
/// metrics file and `keyrotd status`, each credential that has ended or ends within its
/// application's warning is a `credential-expiring` warning (again after a day while it stays so),
/// and for an application keyrotd rotates, a published secret that nears its end (or is gone)
/// starts a rotation at once, whatever `every` says.
public actor CredentialWatch: Service {
    private var applications: [WatchedApplication]
    private let clock: any WallClock
    private let interval: Duration
    private let logger: Logger
    private let rotateNow: @Sendable (String) async -> Void
    private let onChange: @Sendable () -> Void
    /// The figures of each application, by name.
    private var figures: [String: ApplicationExpiry] = [:]
    /// When each credential (application and key id) was last warned about.
    private var warned: [String: Date] = [:]
    /// Wakes the loop at once (a reload).
    private var wake: AsyncStream<Void>.Continuation?

    /// A warning about a credential is repeated this long after the last while it stays due.
    public static let warningRepeat: Duration = .seconds(86_400)

    /// Creates the watch; `rotateNow` asks for a rotation of the named entry, `onChange` hears
    /// that the figures changed (the metrics file is rewritten).
    public init(
        applications: [WatchedApplication],
        clock: any WallClock,
        interval: Duration,
        logger: Logger,
        rotateNow: @escaping @Sendable (String) async -> Void,
        onChange: @escaping @Sendable () -> Void = {}
    ) {
        self.applications = applications
        self.clock = clock
        self.interval = interval
        self.logger = logger
        self.rotateNow = rotateNow
        self.onChange = onChange
    }

    /// Every application's figures, in configuration order.
    public var current: [ApplicationExpiry] {
        applications.map { figures[$0.name] ?? ApplicationExpiry(application: $0.name) }
    }

    /// Watches `applications` from now on (after a reload), reading them at once.
    public func replace(_ applications: [WatchedApplication]) {
        self.applications = applications
        let names = Set(applications.map(\.name))
        figures = figures.filter { names.contains($0.key) }
        wake?.yield()
    }

    public func run() async throws {
        let (wakes, wake) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
        self.wake = wake
        await withGracefulShutdownHandler {
            await withTaskGroup(of: Void.self) { group in
                group.addTask { for await _ in wakes { await self.pass() } }
                group.addTask {
                    while !Task.isCancelled {
                        wake.yield()
                        do { try await self.clock.sleep(until: self.clock.now().addingTimeInterval(self.interval.seconds)) } catch { return }
                    }
                }
                await group.next()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            wake.finish()
        }
    }

    /// Reads every application once.
    public func pass() async {
        for application in applications {
            await read(application)
        }
        onChange()
    }

    private func read(_ application: WatchedApplication) async {
        let now = clock.now()
        var figure = figures[application.name] ?? ApplicationExpiry(application: application.name)
        let credentials: [ApplicationCredential]
        do {
            credentials = try await application.source.credentials()
        } catch is CancellationError {
            return
        } catch {
            figure.error = "\(error)"
            figures[application.name] = figure
            logger.warning(
                "cannot read the credentials of application \(application.name): \(error)",
                metadata: .fields([.resource: .string(application.name)])
            )
            return
        }
        figure.error = nil
        figure.readAt = now
        figure.credentials = credentials.sorted { $0.end < $1.end }.map {
            ApplicationExpiry.Credential(kind: $0.kind.rawValue, keyID: $0.keyID, displayName: $0.displayName, end: $0.end)
        }
        figures[application.name] = figure
        for credential in credentials where credential.end.timeIntervalSince(now) < application.warning.seconds {
            warn(application.name, credential, now: now)
        }
        guard let prefix = application.ownPrefix else { return }
        let own = credentials.filter { $0.displayName.hasPrefix(prefix) }
        if let newest = own.max(by: { $0.end < $1.end }), newest.end.timeIntervalSince(now) >= application.warning.seconds { return }
        logger.notice(
            own.isEmpty
                ? "application \(application.name) holds no secret of keyrotd's (removed outside keyrotd?): rotating now"
                : "the secret keyrotd published for application \(application.name) ends within its warning: rotating now",
            metadata: .fields([.resource: .string(application.name)])
        )
        await rotateNow(application.name)
    }

    private func warn(_ name: String, _ credential: ApplicationCredential, now: Date) {
        let key = name + "|" + credential.keyID
        if let last = warned[key], now.timeIntervalSince(last) < Self.warningRepeat.seconds { return }
        warned[key] = now
        let remaining = credential.end.timeIntervalSince(now)
        let when =
            remaining > 0
            ? "ends at \(credential.end.formatted(.iso8601)), in \(DurationFormat.format(.seconds(Int64(remaining))))"
            : "ended at \(credential.end.formatted(.iso8601)): sign-ins with it are refused (AADSTS7000222)"
        logger.log(
            .credentialExpiring,
            "the \(credential.kind.rawValue) \"\(credential.displayName)\" (\(credential.keyID)) of application \(name) \(when)",
            [
                .resource: .string(name), .keyID: .string(credential.keyID), .displayName: .string(credential.displayName),
                .credentialKind: .string(credential.kind.rawValue), .expiresAt: .string(credential.end.formatted(.iso8601)),
            ]
        )
    }
}
