import Foundation
import Testing

/// All end-to-end suites run one after the other: they start real processes that compete for the
/// machine's two cores, and the consumer checks are about timing.
@Suite(.serialized)
enum EndToEnd {}

extension EndToEnd {
    /// The repository's folder (scripts, units, manuals, the Python checks), found from this file.
    static var repositoryRoot: String {
        var root = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { root.deleteLastPathComponent() }
        return root.path
    }
}
