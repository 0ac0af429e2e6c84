import Foundation

/// A fresh directory under the test run's temporary directory.
func temporaryDirectory() throws -> String {
    let path = NSTemporaryDirectory() + "keyrotd-sf-\(UUID().uuidString.prefix(8))"
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
}
