import FoundationEssentials

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

extension TestFaults {
    /// `KEYROTD_TEST_ARC_KEY_DIRECTORY=DIR`: where Arc challenge files may be, instead of
    /// `/var/opt/azcmagent/tokens`, so the emulator's Arc endpoint can be tested without root.
    static var arcKeyDirectory: String? {
        ProcessInfo.processInfo.environment["KEYROTD_TEST_ARC_KEY_DIRECTORY"].flatMap { $0.isEmpty ? nil : $0 }
    }
}
