import ArgumentParser
import AzureEmulator
import FoundationEssentials
import Glibc
import SystemPackage
import UnixSignals

/// `keyrotd-emulator`: starts the Azure stand-in, prints one JSON line describing it, serves until SIGTERM.
@main
struct EmulatorCommand: AsyncParsableCommand {
    /// The command's name and help.
    static let configuration = CommandConfiguration(
        commandName: "keyrotd-emulator",
        abstract:
            "An Azure Resource Manager, Entra ID and data-plane emulator of every two-key resource type, for keyrotd's tests, demo and benchmarks."
    )

    /// Where to write a keyrotd configuration for this emulator.
    @Option(help: "Loopback address to listen on.") var host = "127.0.0.1"
    @Option(help: "Port (0 picks a free one).") var port = 0
    @Option(help: "Number of resources of each type to create.") var resources = 3
    @Option(
        help: ArgumentHelp(
            "The resource types to create (comma-separated, or all); ACS only by default.",
            valueName: "all|" + EmulatedType.all.map(\.name).joined(separator: "|")
        )
    )
    var types = "communication"
    @Flag(help: "Answer long-running regenerations (SignalR, Web PubSub, Event Grid, Cosmos DB) at once instead of with 202.")
    var synchronousRegeneration = false
    @Option(help: "How long a long-running regeneration runs before its key changes.") var operationDuration = "500ms"
    @Option(help: "Number of subscriptions the resources are spread over (each has its own ARM budgets).") var subscriptions = 1
    @Flag(help: "Serve plain HTTP instead of HTTPS.") var plainHttp = false
    @Option(help: "Where to write the generated CA certificate (PEM).") var caFile: String?
    @Option(help: "Also write a keyrotd configuration pointing at the emulator to this path (and the client secret beside it).")
    var writeConfig: String?
    @Option(help: "For --write-config: rotation period.") var every = "1m"
    @Option(help: "For --write-config: grace.") var grace = "10s"
    @Option(help: "For --write-config: strategy.") var strategy = "full"
    @Option(help: "For --write-config: the secret files' format (each type's default when absent).") var configFormat: String?
    @Option(help: "Lifetime of issued tokens, e.g. 1h or 30s.") var tokenLifetime = "1h"
    @Flag(help: "Turn ARM write throttling off.") var noThrottle = false
    @Flag(help: "Keep every regeneration, secret version and blob write for GET /_emulator/audit (tests; grows without bound).")
    var audit = false
    @Option(help: "ARM write bucket size per subscription.") var writeBurst: Double = 200
    @Option(help: "ARM write bucket refill per second.") var writeRefill: Double = 10
    @Flag(help: "Answer regenerateKey with both keys instead of the regenerated half.") var fullRegenerateResponse = false
    @Option(help: "Secret versions a Key Vault creates per 10 s before answering 429 (Key Vault's limit).") var keyVaultWriteLimit = 300
    @Option(help: "Added ARM latency: 50ms or a range 10ms-200ms.") var latency: String?
    @Option(help: "Added Blob Storage latency: 30ms or a range 20ms-50ms.") var storageLatency: String?
    @Option(help: "Fault: answer STATUS with probability P, as STATUS=P (repeatable), e.g. 503=0.1.") var errorRate: [String] = []
    @Option(help: "Fault: probability of a connection reset.") var resetRate = 0.0
    @Option(help: "Fault: probability of never answering.") var timeoutRate = 0.0
    @Option(help: "Fault: probability of a truncated JSON body.") var malformedRate = 0.0
    @Option(help: "Fault: regenerate a random key out of band this often, e.g. 30s.") var oobRegenerateEvery: String?
    @Option(help: "Fault: a new key is refused by the data plane for this long.") var keyValidityDelay: String?
    @Option(help: "An application's new password reaches every token replica only after this long (accepted ever more often within it).")
    var credentialReplicationDelay: String?
    @Option(
        help: ArgumentHelp(
            "Fault: put hostile values into listKeys and regenerateKey answers, these kinds in turn (comma-separated).",
            valueName: HostileValue.allCases.map(\.rawValue).joined(separator: "|")
        )
    )
    var injectValues: String?
    @Option(help: "Fault: how many answers --inject-values spoils (all by default).") var injectValuesCount: Int?
    @Option(help: "Seed of the fault generator.") var seed: UInt64?
    @Option(help: "Port of the plain-HTTP managed identity listener (IMDS, App Service, Arc); 0 picks one.") var metadataPort = 0
    @Option(help: "Lifetime of managed identity tokens.") var managedIdentityTokenLifetime = "24h"
    @Option(help: "Where to write the certificate, key, federated token and Arc challenges (a temporary directory by default).")
    var identityDir: String?
    @Option(help: "Start a CONNECT proxy to the emulator on this port (0 picks one), for testing HTTPS_PROXY.") var proxyPort: Int?
    @Option(help: "USER:PASSWORD the proxy demands.") var proxyCredentials: String?

    /// Starts the emulator, prints its JSON line and serves until SIGTERM or SIGINT.
    func run() async throws {
        var configuration = EmulatorConfiguration()
        configuration.host = host
        configuration.port = port
        configuration.resources = resources
        configuration.types =
            try types == "all"
            ? EmulatedType.all
            : types.split(separator: ",").map { name in
                guard let type = EmulatedType.named(String(name)) else {
                    throw ValidationError("--types: unknown type '\(name)'; types are all, \(EmulatedType.all.map(\.name).joined(separator: ", "))")
                }
                return type
            }
        configuration.synchronousRegeneration = synchronousRegeneration
        configuration.operationDuration = try Self.duration(operationDuration, "--operation-duration")
        configuration.audit = audit
        guard (1...99).contains(subscriptions) else { throw ValidationError("--subscriptions takes 1 to 99") }
        configuration.subscriptions = subscriptions
        configuration.tls = !plainHttp
        configuration.caFile = caFile.map { Self.absolute($0) }
        configuration.tokenLifetime = try Self.duration(tokenLifetime, "--token-lifetime")
        configuration.writeBucket = noThrottle ? nil : .init(capacity: writeBurst, refillPerSecond: writeRefill)
        if noThrottle { configuration.readBucket = nil }
        configuration.fullRegenerateResponse = fullRegenerateResponse
        guard keyVaultWriteLimit > 0 else { throw ValidationError("--key-vault-write-limit must be positive") }
        configuration.keyVaultWriteLimit = keyVaultWriteLimit
        if let latency { configuration.faults.latency = try Self.range(latency, "--latency") }
        if let storageLatency { configuration.faults.storageLatency = try Self.range(storageLatency, "--storage-latency") }
        for entry in errorRate {
            let kv = entry.split(separator: "=")
            guard kv.count == 2, let status = Int(kv[0]), let rate = Double(kv[1]) else {
                throw ValidationError("--error-rate takes STATUS=PROBABILITY, e.g. 503=0.1")
            }
            configuration.faults.errorRates[status] = rate
        }
        configuration.faults.resetRate = resetRate
        configuration.faults.timeoutRate = timeoutRate
        configuration.faults.malformedRate = malformedRate
        if let oob = oobRegenerateEvery { configuration.faults.outOfBandRegenerationEvery = try Self.duration(oob, "--oob-regenerate-every") }
        if let delay = keyValidityDelay { configuration.faults.keyValidityDelay = try Self.duration(delay, "--key-validity-delay") }
        if let delay = credentialReplicationDelay {
            configuration.faults.credentialReplicationDelay = try Self.duration(delay, "--credential-replication-delay")
        }
        if let injectValues {
            let names = injectValues.split(separator: ",").map(String.init)
            configuration.faults.hostileValues = try names.map { name in
                guard let kind = HostileValue(rawValue: name) else {
                    throw ValidationError(
                        "--inject-values: unknown kind '\(name)'; kinds are \(HostileValue.allCases.map(\.rawValue).joined(separator: ", "))"
                    )
                }
                return kind
            }
        }
        configuration.faults.hostileValueCount = injectValuesCount
        if let seed { configuration.seed = seed }
        configuration.metadataPort = metadataPort
        configuration.managedIdentityTokenLifetime = try Self.duration(managedIdentityTokenLifetime, "--managed-identity-token-lifetime")
        configuration.identityDirectory = identityDir.map { Self.absolute($0) }
        configuration.proxyPort = proxyPort
        configuration.proxyCredentials = proxyCredentials

        // A client that closes its connection must never kill the emulator through SIGPIPE.
        signal(SIGPIPE, SIG_IGN)
        let stopSignals = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        let emulator = try await Emulator.start(configuration)
        if let writeConfig {
            let path = Self.absolute(writeConfig)
            let directory = FilePath(path).removingLastComponent().string
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
            let secretFile = directory + "/emulator-client-secret"
            _ = FileManager.default.createFile(
                atPath: secretFile,
                contents: Data((emulator.info.clientSecret + "\n").utf8),
                attributes: [.posixPermissions: 0o600]
            )
            let text = emulator.info.keyrotdConfiguration(
                secretFile: secretFile,
                directory: directory,
                every: every,
                grace: grace,
                strategy: strategy,
                armWritesPerSecond: noThrottle ? 10_000 : (writeRefill == 10 ? nil : writeRefill),
                format: configFormat
            )
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        _ = try FileDescriptor.standardOutput.writeAll(try encoder.encode(emulator.info) + Data("\n".utf8))

        // UnixSignals blocks the signals and reads them as a sequence. (A DispatchSource on an
        // ignored signal never fired on Linux: the kernel drops ignored signals.)
        for await _ in stopSignals { break }
        try await emulator.shutdown()
        if configuration.caFile == nil, let ca = emulator.info.caFile { try? FileManager.default.removeItem(atPath: ca) }
    }

    /// Makes `path` absolute against the working directory.
    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    /// Parses `500ms`, `30s`, `5m`, `1h` or `1d`.
    static func duration(_ text: String, _ option: String) throws -> Duration {
        let units: [(String, Double)] = [("ms", 0.001), ("s", 1), ("m", 60), ("h", 3600), ("d", 86_400)]
        for (suffix, factor) in units where text.hasSuffix(suffix) {
            if let n = Double(text.dropLast(suffix.count)), n >= 0 { return .milliseconds(Int64(n * factor * 1000)) }
        }
        throw ValidationError("\(option): '\(text)' is not a duration such as 500ms, 30s, 5m or 1h")
    }

    /// `50ms` or `10ms-200ms`.
    static func range(_ text: String, _ option: String) throws -> ClosedRange<Duration> {
        let parts = text.split(separator: "-").map(String.init)
        let low = try duration(parts[0], option)
        let high = parts.count > 1 ? try duration(parts[1], option) : low
        guard low <= high else { throw ValidationError("\(option): '\(text)' goes from more to less") }
        return low...high
    }
}
