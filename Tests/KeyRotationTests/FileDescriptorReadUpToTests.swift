import Foundation
import KeyRotation
import SystemPackage
import Testing

struct FileDescriptorReadUpToTests {
    /// A file holding `bytes`, removed after `body`.
    func withFile<T>(_ bytes: [UInt8], _ body: (String) throws -> T) throws -> T {
        let path = NSTemporaryDirectory() + "keyrotd-read-\(UUID().uuidString.prefix(8))"
        try Data(bytes).write(to: URL(fileURLWithPath: path))
        defer { try? FileManager.default.removeItem(atPath: path) }
        return try body(path)
    }

    func read(_ path: String, upTo limit: Int) throws -> [UInt8] {
        let file = try FileDescriptor.open(path, .readOnly)
        defer { try? file.close() }
        return try file.read(upTo: limit)
    }

    @Test(arguments: [0, 1, 65_535, 65_536, 65_537, 300_000])
    func readsAWholeFileOfAnySize(size: Int) throws {
        let bytes = (0..<size).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        #expect(try withFile(bytes) { try read($0, upTo: 1 << 20) } == bytes)
    }

    @Test(arguments: [0, 1, 256, 65_536, 100_001])
    func stopsAtTheLimit(limit: Int) throws {
        let bytes = [UInt8](repeating: 7, count: 200_000)
        #expect(try withFile(bytes) { try read($0, upTo: limit) } == Array(bytes.prefix(limit)))
    }

    @Test func aDirectoryFailsWithItsErrno() throws {
        let file = try FileDescriptor.open("/", .readOnly)
        defer { try? file.close() }
        #expect(throws: Errno.isDirectory) { try file.read(upTo: 16) }
    }
}
