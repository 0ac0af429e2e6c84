import Foundation
import Testing

/// The leak scan itself must be able to fail, or the end-to-end tests prove nothing.
struct LeakScanTests {
    @Test func findsAKeyInsideALogLineAndIgnoresExcludedFiles() throws {
        let directory = try testDirectory("leakscan")
        let key = "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0MjQyNDI0MjQyNDI0MjQyNDI0MjQyNDI0MjQyNDI0MjQyNDI0Mg=="
        try "2026-11-26 info keyrotd: debug=\(key)xyz published\n".write(toFile: directory + "/daemon.stderr", atomically: true, encoding: .utf8)
        try "\(key)\n".write(toFile: directory + "/secret.conn", atomically: true, encoding: .utf8)
        try "nothing here\n".write(toFile: directory + "/clean.log", atomically: true, encoding: .utf8)
        let leaks = LeakScan.leaks(in: directory, secrets: [key], excluding: [directory + "/secret.conn"])
        #expect(leaks == ["daemon.stderr contains a secret value"])
        try "x Bearer abc\n".write(toFile: directory + "/clean.log", atomically: true, encoding: .utf8)
        #expect(LeakScan.leaks(in: directory, secrets: [], excluding: []).contains("clean.log contains a credential pattern"))
    }
}
