import FoundationEssentials
import KeyRotation
import Logging
import SecretFiles
import ServiceLifecycle
import SystemPackage

/// Keeps the metrics file for node_exporter's textfile collector: replaced atomically (so the
/// collector never reads half a file) at start, a few seconds after the figures change and every
/// minute (``MetricsFileSchedule``). Mode 0644: it holds names, counts and instants, never a key.
///
/// A failed write is logged once (and its end once) and retried at the next turn: rotation never
/// depends on the metrics file.
public actor MetricsFileService: Service {
    private let directory: String
    private let name: String
    private let clock: any WallClock
    private let changes: AsyncStream<Void>
    private let snapshot: @Sendable () async -> MetricsSnapshot
    private let logger: Logger
    private let writer = AtomicFileWriter()
    private var schedule = MetricsFileSchedule()
    private var sleeper: Task<Void, Never>?
    private var stopping = false
    /// The last write's error, so a lasting one is logged once.
    private var failing: String?

    /// Creates the service for `path`; each element of `changes` says the figures changed, and
    /// `snapshot` reads them.
    public init(
        path: String,
        clock: any WallClock,
        changes: AsyncStream<Void>,
        logger: Logger,
        snapshot: @escaping @Sendable () async -> MetricsSnapshot
    ) {
        let file = FilePath(path)
        self.directory = file.removingLastComponent().string
        self.name = file.lastComponent?.string ?? path
        self.clock = clock
        self.changes = changes
        self.snapshot = snapshot
        self.logger = logger
    }

    public func run() async throws {
        await withGracefulShutdownHandler {
            await withDiscardingTaskGroup { group in
                group.addTask {
                    for await _ in self.changes { await self.changed() }
                }
                await self.loop()
                group.cancelAll()
            }
        } onGracefulShutdown: {
            Task { await self.stop() }
        }
    }

    private func stop() {
        stopping = true
        sleeper?.cancel()
    }

    private func changed() {
        let before = schedule.nextWrite
        schedule.changed()
        // Wake the loop only when the write moved closer: a wave of rotations is thousands of changes.
        if schedule.nextWrite < before { sleeper?.cancel() }
    }

    private func loop() async {
        while !stopping && !Task.isCancelled {
            let due = schedule.nextWrite
            if clock.now() >= due {
                await write()
                continue
            }
            let clock = self.clock
            let task = Task { _ = try? await clock.sleep(until: due) }
            sleeper = task
            await task.value
            sleeper = nil
        }
    }

    private func write() async {
        // Before reading: a change while the figures are read is one this write may have missed.
        schedule.wrote(at: clock.now())
        let figures = await snapshot()
        let now = clock.now()
        do {
            try writer.write(Array(figures.exposition(now: now).utf8), to: name, in: directory, mode: 0o644)
            if failing != nil {
                logger.notice("metrics file written again", metadata: .fields([.metricsFile: .string("\(directory)/\(name)")]))
                failing = nil
            }
        } catch {
            let message = String(describing: error)
            if message != failing {
                logger.error(
                    "cannot write the metrics file; rotation goes on without it: \(message)",
                    metadata: .fields([.metricsFile: .string("\(directory)/\(name)")])
                )
            }
            failing = message
        }
    }
}
