import Testing

@testable import Systemd

struct SystemdNotifierTests {
    /// A newline in `STATUS=` would start another assignment (`READY=1`, `ERRNO=` …).
    @Test func aStatusIsOneBoundedLine() {
        #expect(SystemdNotifier.clean("3 resources\nREADY=1\r\nERRNO=5") == "3 resources READY=1 ERRNO=5")
        #expect(SystemdNotifier.clean(String(repeating: "x", count: 1000)).count == 400)
    }

    @Test func theBeaconAgesUntilTheNextBeat() async throws {
        let beacon = ProgressBeacon()
        try await Task.sleep(for: .milliseconds(20))
        let aged = beacon.age
        #expect(aged >= .milliseconds(20))
        beacon.beat()
        #expect(beacon.age < aged)
    }
}
