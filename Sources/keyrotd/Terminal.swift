import FoundationEssentials
import SystemPackage

/// Output helpers for the CLI.
enum Terminal {
    /// Writes a line to standard output, unbuffered (the demo's output must show as it happens).
    static func out(_ line: String) {
        _ = try? FileDescriptor.standardOutput.writeAll((line + "\n").utf8)
    }

    /// Writes a line to standard error.
    static func error(_ line: String) {
        _ = try? FileDescriptor.standardError.writeAll((line + "\n").utf8)
    }

    /// Formats a date for humans, in UTC.
    static func date(_ date: Date?) -> String {
        guard let date else { return "-" }
        return date.formatted(.iso8601)
    }
}
