import FoundationEssentials
import KeyRotation
import MetricsFile
import Testing

/// When the metrics file is written: at start, soon after changes, and every minute.
struct MetricsFileScheduleTests {
    let start = Date(timeIntervalSince1970: 1_800_000_000)

    @Test func theFirstWriteIsAtOnceAndAChangeBeforeItChangesNothing() {
        var schedule = MetricsFileSchedule()
        #expect(schedule.nextWrite == .distantPast)
        schedule.changed()
        #expect(schedule.nextWrite == .distantPast)
    }

    @Test func withoutChangesTheFileIsRefreshedEveryMinute() {
        var schedule = MetricsFileSchedule()
        schedule.wrote(at: start)
        #expect(schedule.nextWrite == start.addingTimeInterval(MetricsFileSchedule.refreshInterval))
    }

    @Test func changesAreWrittenTogetherAfterTheMinimumInterval() {
        var schedule = MetricsFileSchedule()
        schedule.wrote(at: start)
        for _ in 0..<1000 { schedule.changed() }
        #expect(schedule.nextWrite == start.addingTimeInterval(MetricsFileSchedule.minimumInterval))
        schedule.wrote(at: start.addingTimeInterval(5))
        #expect(schedule.nextWrite == start.addingTimeInterval(5 + MetricsFileSchedule.refreshInterval))
    }

    /// Whatever the order of changes and writes, two writes are never closer than the minimum
    /// interval and never further apart than the refresh interval, and a change is written within
    /// the minimum interval of the write before it.
    @Test(arguments: 0..<50)
    func writesStayWithinBothIntervals(seed: Int) {
        var random = SplitMix64(seed: UInt64(seed))
        var schedule = MetricsFileSchedule()
        var now = start
        var lastWrite: Date?
        var pendingChangeSince: Date?
        for _ in 0..<500 {
            let previous = now
            now = now.addingTimeInterval(Double(random.next() % 20_000) / 1000)
            // The writes that fell due before `now`, each at its instant (never before the event that made it due).
            while schedule.nextWrite <= now {
                let at = max(schedule.nextWrite, previous)
                if let lastWrite {
                    #expect(at.timeIntervalSince(lastWrite) >= MetricsFileSchedule.minimumInterval)
                    #expect(at.timeIntervalSince(lastWrite) <= MetricsFileSchedule.refreshInterval)
                    if let since = pendingChangeSince {
                        #expect(at <= max(since, lastWrite.addingTimeInterval(MetricsFileSchedule.minimumInterval)))
                    }
                }
                schedule.wrote(at: at)
                lastWrite = at
                pendingChangeSince = nil
            }
            if random.next() % 2 == 0 {
                schedule.changed()
                pendingChangeSince = pendingChangeSince ?? now
            }
        }
    }
}
