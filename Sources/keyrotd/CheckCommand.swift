import ArgumentParser
import Foundation
import KeyRotation

/// `keyrotd check`: validates the configuration, printing every problem as `file:line: error: key: message`.
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate the configuration file.")

    @OptionGroup var options: ConfigOption

    func run() throws {
        do {
            let (configuration, warnings) = try ConfigurationLoader().load(path: options.config)
            for warning in warnings { Terminal.error(warning.description) }
            Terminal.out(
                "\(options.config): OK, \(configuration.resources.count) resource\(configuration.resources.count == 1 ? "" : "s"), \(configuration.credentials.count) credential\(configuration.credentials.count == 1 ? "" : "s")"
            )
        } catch {
            for issue in error.issues { Terminal.error(issue.description) }
            let count = error.issues.filter { $0.severity == .error }.count
            Terminal.error("\(options.config): \(count) error\(count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}

/// Output helpers for the CLI.
enum Terminal {
    /// Writes a line to standard output, unbuffered (the demo's output must show as it happens).
    static func out(_ line: String) {
        FileHandle.standardOutput.write(Data((line + "\n").utf8))
    }

    /// Writes a line to standard error.
    static func error(_ line: String) {
        FileHandle.standardError.write(Data((line + "\n").utf8))
    }

    /// Formats a date for humans, in UTC.
    static func date(_ date: Date?) -> String {
        guard let date else { return "-" }
        let formatter = ISO8601DateFormatter()
        formatter.formatOptions = [.withInternetDateTime]
        return formatter.string(from: date)
    }
}
