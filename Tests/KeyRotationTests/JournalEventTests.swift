import Foundation
import KeyRotation
import Testing

struct JournalEventTests {
    /// The catalog shipped in systemd/ explains every event the daemon logs, under the subject the
    /// enum names, and nothing else.
    @Test func everyEventHasOneCatalogEntryAndEveryEntryAnEvent() throws {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        let catalog = try String(contentsOf: root.appendingPathComponent("systemd/keyrotd.catalog"), encoding: .utf8)
        let lines = catalog.split(separator: "\n", omittingEmptySubsequences: false)
        var subjects: [String: String] = [:]
        for (index, line) in lines.enumerated() where line.hasPrefix("-- ") {
            let id = String(line.dropFirst(3)).lowercased()
            #expect(subjects[id] == nil, "\(id) appears twice in the catalog")
            let subject = try #require(lines[index + 1].split(separator: ": ", maxSplits: 1).last, "no subject under \(id)")
            subjects[id] = String(subject)
        }
        #expect(Set(subjects.keys) == Set(JournalEvent.allCases.map(\.messageID)))
        #expect(Set(JournalEvent.allCases.map(\.messageID)).count == JournalEvent.allCases.count, "two events share an id")
        for event in JournalEvent.allCases {
            #expect(
                event.messageID.count == 32 && event.messageID.allSatisfy { $0.isHexDigit && !$0.isUppercase },
                "\(event) id is not 128 bits in lower-case hex"
            )
            #expect(subjects[event.messageID] == event.subject, "\(event): the catalog's subject differs")
        }
    }

    /// Every journal field name is one operators can filter on: journald upper-cases it, so two names
    /// that differ only in case would be one field.
    @Test func logFieldNamesAreDistinctJournalFields() {
        let names = LogField.allCases.map { $0.rawValue.uppercased() }
        #expect(Set(names).count == names.count)
        #expect(names.allSatisfy { $0.allSatisfy { $0.isLetter || $0.isNumber || $0 == "_" } && $0.first?.isLetter == true })
    }
}
