import ArgumentParser
import AzureClient
import ConfigurationFile
import FoundationEssentials
import KeyRotation

/// `keyrotd check`: validates the configuration, printing every problem as `file:line: error: key: message`,
/// and what the service will meet on this host: the credentials keyrotd.service hands over
/// (`LoadCredential=`, read from systemd) and the system trust store.
struct CheckCommand: AsyncParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(commandName: "check", abstract: "Validate the configuration file.")

    @OptionGroup var options: ConfigOption

    /// Prints every problem, or a one-line summary when there is none.
    func run() async throws {
        let loader = ConfigurationLoader(serviceCredentials: await UnitCredentialReader.read())
        var failed = 0
        do {
            let (configuration, warnings) = try loader.load(path: options.config)
            for warning in warnings { Terminal.error(warning.description) }
            if let problem = SystemTrustStore.system.problem() {
                // The host's, not the file's: no line to name.
                Terminal.error("\(options.config): error: TLS: \(problem)")
                failed = 1
            } else {
                func count(_ n: Int, _ noun: String) -> String { "\(n) \(noun)\(n == 1 ? "" : "s")" }
                var summary = "\(options.config): OK, \(count(configuration.resources.count, "resource"))"
                if !configuration.follows.isEmpty { summary += ", \(count(configuration.follows.count, "follower"))" }
                Terminal.out(summary + ", \(count(configuration.credentials.count, "credential"))")
            }
        } catch {
            for issue in error.issues { Terminal.error(issue.description) }
            failed = error.issues.filter { $0.severity == .error }.count
            Terminal.error("\(options.config): \(failed) error\(failed == 1 ? "" : "s")")
        }
        if failed > 0 { throw ExitCode(1) }
    }
}
