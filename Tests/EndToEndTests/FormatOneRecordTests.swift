import Foundation
import KeyRotation
import SecretFiles
import Testing

/// The format-1 writer the package-upgrade test uses writes exactly what the previous release wrote:
/// each checked-in record of that release, read (and so upgraded) and written back in format 1, is
/// the same JSON.
struct FormatOneRecordTests {
    @Test func writesWhatThePreviousReleaseWrote() throws {
        let fixtures = EndToEnd.repositoryRoot + "/Tests/SecretFilesTests/Fixtures/state-v1"
        let directory = NSTemporaryDirectory() + "format-one-\(UUID().uuidString.prefix(8))"
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: directory) }
        try FileManager.default.copyItem(atPath: fixtures, toPath: directory + "/resources")
        let store = try JSONStateStore(stateDirectory: directory)
        let names = try FileManager.default.contentsOfDirectory(atPath: fixtures).map { String($0.dropLast(5)) }
        #expect(names.count == 4)
        for name in names {
            let original = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: "\(fixtures)/\(name).json"))) as? NSDictionary
            let record = try #require(try store.load(name))
            let written = try JSONSerialization.jsonObject(with: FormatOneRecord.bytes(record)) as? NSDictionary
            #expect(written == original, "\(name)")
        }
    }
}
