import ArgumentParser
import ConfigurationFile
import KeyRotation

/// Loads the configuration or prints every problem and exits 1.
///
/// - Parameter printingWarnings: whether to print what `check` would warn about; `status` only
///   reads state and leaves validation to `check` and the daemon.
func loadConfiguration(_ path: String, printingWarnings: Bool = true) throws -> Configuration {
    do {
        let (configuration, warnings) = try ConfigurationLoader().load(path: path)
        if printingWarnings {
            for warning in warnings { Terminal.error(warning.description) }
        }
        return configuration
    } catch {
        for issue in error.issues { Terminal.error(issue.description) }
        throw ExitCode(1)
    }
}
