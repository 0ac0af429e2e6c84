import ArgumentParser
import FoundationEssentials
import KeyRotation

/// `keyrotd check`: validates the configuration, printing every problem as `file:line: error: key: message`.
struct CheckCommand: ParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate the configuration file.")

    @OptionGroup var options: ConfigOption

    /// Prints every problem, or a one-line summary when there is none.
    func run() throws {
        do {
            let (configuration, warnings) = try ConfigurationLoader().load(path: options.config)
            for warning in warnings { Terminal.error(warning.description) }
            func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
            var summary = "\(options.config): OK, \(count(configuration.resources.count, "resource"))"
            if !configuration.follows.isEmpty { summary += ", \(count(configuration.follows.count, "follower"))" }
            Terminal.out(summary + ", \(count(configuration.credentials.count, "credential"))")
        } catch {
            for issue in error.issues { Terminal.error(issue.description) }
            let count = error.issues.filter { $0.severity == .error }.count
            Terminal.error("\(options.config): \(count) error\(count == 1 ? "" : "s")")
            throw ExitCode(1)
        }
    }
}
