import Foundation

/// Fault switches that only tests set, read from the environment.
enum TestFaults {
    /// `KEYROTD_TEST_FAULT_HANG_SCHEDULER_AFTER=SECONDS`: the scheduler loop hangs that long after start.
    static var schedulerHangAfter: Date? {
        guard let text = ProcessInfo.processInfo.environment["KEYROTD_TEST_FAULT_HANG_SCHEDULER_AFTER"], let seconds = Double(text) else {
            return nil
        }
        return Date().addingTimeInterval(seconds)
    }
}
