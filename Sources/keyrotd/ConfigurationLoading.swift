import ArgumentParser
import KeyRotation

/// Loads the configuration or prints every problem and exits 1.
func loadConfiguration(_ path: String) throws -> Configuration {
    do {
        let (configuration, warnings) = try ConfigurationLoader().load(path: path)
        for warning in warnings { Terminal.error(warning.description) }
        return configuration
    } catch {
        for issue in error.issues { Terminal.error(issue.description) }
        throw ExitCode(1)
    }
}
