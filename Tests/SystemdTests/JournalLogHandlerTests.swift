import Logging
import Testing

@testable import Systemd

struct JournalLogHandlerTests {
    @Test(arguments: [
        ("keyrotd_resource", "KEYROTD_RESOURCE"),
        ("arm_request_id", "ARM_REQUEST_ID"),
        ("_private", "PRIVATE"),
        ("9lives", "KEYROTD_9LIVES"),
        ("dotted.key-name", "DOTTED_KEY_NAME"),
        ("ünïcode", "N_CODE"),
    ])
    func metadataKeysBecomeJournalFieldNames(key: String, field: String) {
        #expect(JournalLogHandler.fieldName(key) == field)
    }

    @Test func levelsMapToSyslogPriorities() {
        let levels: [Logger.Level] = [.trace, .debug, .info, .notice, .warning, .error, .critical]
        #expect(levels.map(JournalLogHandler.priority) == [7, 7, 6, 5, 4, 3, 2])
    }
}
