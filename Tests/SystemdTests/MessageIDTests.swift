import Foundation
import Testing

@testable import Systemd

struct MessageIDTests {
    /// The catalog shipped in systemd/ explains every event the daemon logs, and nothing else.
    @Test func everyEventHasOneCatalogEntryAndEveryEntryAnEvent() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let catalog = try String(contentsOf: root.appendingPathComponent("systemd/keyrotd.catalog"), encoding: .utf8)
        let ids = catalog.split(separator: "\n").filter { $0.hasPrefix("-- ") }.map { String($0.dropFirst(3)).lowercased() }
        #expect(Set(ids) == Set(MessageID.byEvent.values))
        #expect(ids.count == Set(ids).count, "an id appears twice in the catalog")
        #expect(Set(MessageID.byEvent.values).count == MessageID.byEvent.count, "two events share an id")
        for id in MessageID.byEvent.values {
            #expect(id.count == 32 && id.allSatisfy { $0.isHexDigit && !$0.isUppercase }, "\(id) is not 128 bits in lower-case hex")
        }
    }
}
