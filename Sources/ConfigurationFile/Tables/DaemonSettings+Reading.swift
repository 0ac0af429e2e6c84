import KeyRotation
import Logging
import SystemPackage

extension ConfigurationSchema {
    /// `secrets_dir`.
    public static let secretsDir = ConfigurationKey(
        "secrets_dir",
        in: [.daemon],
        ConfigurationPath.self,
        .path,
        default: .string(DaemonSettings.Defaults.secretsDirectory),
        reload: .restart(\DaemonSettings.secretsDirectory),
        "where secret files are published; consumers watch this directory"
    )
    /// `state_dir`.
    public static let stateDir = ConfigurationKey(
        "state_dir",
        in: [.daemon],
        ConfigurationPath.self,
        .path,
        default: .string(DaemonSettings.Defaults.stateDirectory),
        reload: .restart(\DaemonSettings.stateDirectory),
        "one state record per resource (fingerprints only) and the instance lock"
    )
    /// `concurrency`.
    public static let concurrency = ConfigurationKey(
        "concurrency",
        in: [.daemon],
        Int.self,
        .integer(1...1024),
        default: .integer(DaemonSettings.Defaults.concurrency),
        reload: .restart(\DaemonSettings.concurrency),
        "resources working at once, and HTTPS connections to one host; ARM's budget, not this cap, paces a wave"
    )
    /// `tls_ca_file`.
    public static let tlsCAFile = ConfigurationKey(
        "tls_ca_file",
        in: [.daemon],
        ConfigurationPath.self,
        .path,
        default: .none,
        reload: .restart(\DaemonSettings.tlsCAFile),
        "extra PEM trust roots (a private CA, a TLS-inspecting proxy), added to the system store"
    )
    /// `retry_initial`.
    public static let retryInitial = ConfigurationKey(
        "retry_initial",
        in: [.daemon],
        Duration.self,
        .duration(nil),
        default: .duration(DaemonSettings.Defaults.retryInitial),
        "the first wait after a failed step; it doubles (jittered) up to retry_max"
    )
    /// `retry_max`.
    public static let retryMax = ConfigurationKey(
        "retry_max",
        in: [.daemon],
        Duration.self,
        .duration(nil),
        default: .duration(DaemonSettings.Defaults.retryMax),
        "the longest wait between retries of a failing step; not shorter than retry_initial"
    )
    /// `request_timeout`.
    public static let requestTimeout = ConfigurationKey(
        "request_timeout",
        in: [.daemon],
        Duration.self,
        .duration(.milliseconds(100) ... .seconds(86_400)),
        default: .duration(DaemonSettings.Defaults.requestTimeout),
        reload: .restart(\DaemonSettings.requestTimeout),
        "how long one HTTP request to ARM or Entra ID may take before it is abandoned and retried"
    )
    /// `log_level`.
    public static let logLevel = ConfigurationKey(
        "log_level",
        in: [.daemon],
        Logger.Level.self,
        .choice(Logger.Level.self),
        default: .string(DaemonSettings.Defaults.logLevel.rawValue),
        "the lowest level written to the journal"
    )
    /// `arm_write_burst`.
    public static let armWriteBurst = ConfigurationKey(
        "arm_write_burst",
        in: [.daemon],
        Int.self,
        .integer(1...100_000),
        default: .integer(DaemonSettings.Defaults.armWriteBurst),
        reload: .restart(\DaemonSettings.armWriteBurst),
        "ARM's write burst per subscription and credential, which keyrotd paces itself within"
    )
    /// `arm_writes_per_second`.
    public static let armWritesPerSecond = ConfigurationKey(
        "arm_writes_per_second",
        in: [.daemon],
        Double.self,
        .number(0.001...10_000),
        default: .number(DaemonSettings.Defaults.armWritesPerSecond),
        reload: .restart(\DaemonSettings.armWritesPerSecond),
        "ARM's write refill per second, per subscription and credential"
    )
    /// `runtime_dir`.
    public static let runtimeDir = ConfigurationKey(
        "runtime_dir",
        in: [.daemon],
        ConfigurationPath.self,
        .path,
        default: .string(DaemonSettings.Defaults.runtimeDirectory),
        reload: .restart(\DaemonSettings.runtimeDirectory),
        "holds the control socket control.sock (the unit's RuntimeDirectory=)"
    )
    /// `metrics_file`.
    public static let metricsFile = ConfigurationKey(
        "metrics_file",
        in: [.daemon],
        ConfigurationPath.self,
        .path,
        default: .none,
        reload: .restart(\DaemonSettings.metricsFile),
        "a Prometheus text file for node_exporter's textfile collector (name ending in .prom), replaced when figures change and every minute"
    )
    /// `on_publish`, in `[daemon]`, per resource and per follower.
    public static let onPublish = ConfigurationKey(
        "on_publish",
        in: [.daemon, .resource, .application, .follow],
        HookArguments.self,
        .command,
        default: .none,
        "a hook: the program's absolute path, then its arguments, run without a shell after the key is durably written (the daemon's after the resource's or follower's)"
    )
    /// `hook_timeout`.
    public static let hookTimeout = ConfigurationKey(
        "hook_timeout",
        in: [.daemon, .resource, .application, .follow],
        Duration.self,
        .duration(.milliseconds(100) ... .seconds(3600)),
        default: .duration(HookCommand.defaultTimeout),
        "then SIGTERM to the hook's process group, SIGKILL 5 s later; a timeout fails the delivery"
    )

    /// The keys of `[daemon]`, in the documentation's order.
    /// `credentials_dir`.
    public static let credentialsDir = ConfigurationKey(
        "credentials_dir",
        in: [.daemon],
        ConfigurationPath.self,
        .path,
        default: .string(DaemonSettings.Defaults.credentialsDirectory),
        reload: .restart(\DaemonSettings.credentialsDirectory),
        "where keyrotd keeps the client secrets it rotates for its own credentials (own_secret), NAME.secret, mode 0600 in a directory of mode 0700"
    )
    /// `application_watch_interval`.
    public static let applicationWatchInterval = ConfigurationKey(
        "application_watch_interval",
        in: [.daemon],
        Duration.self,
        .duration(.seconds(1) ... .seconds(86_400)),
        default: .duration(DaemonSettings.Defaults.applicationWatchInterval),
        reload: .restart(\DaemonSettings.applicationWatchInterval),
        "how often every [[application]]'s credentials are read through Microsoft Graph for their end times (metrics, status, credential-expiring warnings)"
    )
    static let daemonKeys = [
        secretsDir, stateDir, concurrency, tlsCAFile, retryInitial, retryMax, requestTimeout, logLevel, armWriteBurst, armWritesPerSecond,
        runtimeDir, credentialsDir, metricsFile, applicationWatchInterval, onPublish, hookTimeout,
    ]
}

extension DaemonSettings {
    /// Reads `[daemon]` (the defaults when the file has none).
    static func read(_ reader: TableReader?, in document: ConfigurationDocument) -> DaemonSettings {
        var settings = DaemonSettings(secretsDirectory: Defaults.secretsDirectory, stateDirectory: Defaults.stateDirectory)
        guard var t = reader else { return settings }
        typealias Key = ConfigurationSchema
        if let path = t.read(Key.secretsDir, as: ConfigurationPath.self) { settings.secretsDirectory = path.string }
        if let path = t.read(Key.stateDir, as: ConfigurationPath.self) { settings.stateDirectory = path.string }
        if let value = t.read(Key.concurrency, as: Int.self) { settings.concurrency = value }
        if let ca = t.read(Key.tlsCAFile, as: ConfigurationPath.self)?.string {
            settings.tlsCAFile = ca
            if !document.fileSystem.isAccessible(ca, for: .read) {
                t.error(Key.tlsCAFile, "cannot read '\(ca)': give a readable PEM file of CA certificates")
            }
        }
        if let value = t.read(Key.retryInitial, as: Duration.self) { settings.retryInitial = value }
        if let value = t.read(Key.retryMax, as: Duration.self) { settings.retryMax = value }
        if let value = t.read(Key.requestTimeout, as: Duration.self) { settings.requestTimeout = value }
        if let value = t.read(Key.logLevel, as: Logger.Level.self) { settings.logLevel = value }
        if let value = t.read(Key.armWriteBurst, as: Int.self) { settings.armWriteBurst = value }
        if let value = t.read(Key.armWritesPerSecond, as: Double.self) { settings.armWritesPerSecond = value }
        if let path = t.read(Key.runtimeDir, as: ConfigurationPath.self) { settings.runtimeDirectory = path.string }
        if let metrics = t.read(Key.metricsFile, as: ConfigurationPath.self)?.string {
            settings.metricsFile = metrics
            // node_exporter's textfile collector reads only *.prom files of its directory.
            let name = FilePath(metrics).lastComponent?.string ?? ""
            if !name.hasSuffix(".prom") || name == ".prom" {
                t.error(Key.metricsFile, "'\(metrics)' does not end in NAME.prom: node_exporter's textfile collector reads only *.prom files")
            }
        }
        if let value = t.read(Key.applicationWatchInterval, as: Duration.self) { settings.applicationWatchInterval = value }
        if let path = t.read(Key.credentialsDir, as: ConfigurationPath.self) { settings.credentialsDirectory = path.string }
        settings.onPublish = HookCommand.read(&t, origin: "[daemon]")
        if settings.retryMax < settings.retryInitial {
            t.error(Key.retryMax, "must not be shorter than retry_initial")
        }
        t.finish()
        return settings
    }
}
