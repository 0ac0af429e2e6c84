import FoundationEssentials

/// How the emulator is set up and which faults it injects.
public struct EmulatorConfiguration: Sendable {
    /// The loopback address to listen on.
    public var host = "127.0.0.1"
    /// The port; 0 picks a free one.
    public var port = 0
    /// Serve HTTPS with a generated CA (the default: official ACS clients refuse plain http).
    public var tls = true
    /// Where the generated CA certificate is written (PEM); a temporary file when `nil`.
    public var caFile: String?
    /// How many ACS resources to create.
    public var resources = 3
    /// The types of the resources: `resources` of each.
    public var types: [EmulatedType] = [.communication]
    /// Whether the long-running types answer regenerations at once (200) instead of with 202 and
    /// an operation to poll, as Azure may do either.
    public var synchronousRegeneration = false
    /// The port of the Redis data plane (TLS, RESP): 0 picks one; set to the bound port at start.
    public var redisPort = 0
    /// How long a long-running regeneration runs before its key changes.
    public var operationDuration: Duration = .milliseconds(500)
    /// Whether every regeneration, secret version and blob write is kept for `GET /_emulator/audit`
    /// (tests; it grows without bound).
    public var audit = false
    /// The (first) subscription id.
    public var subscription = "00000000-0000-4000-8000-000000000001"
    /// How many subscriptions the resources are spread over, in turn (ids count up from ``subscription``).
    public var subscriptions = 1
    /// The resource group.
    public var resourceGroup = "keyrotd-rg"
    /// The Entra tenant id.
    public var tenant = "00000000-0000-4000-8000-0000000000aa"
    /// Lifetime of issued tokens.
    public var tokenLifetime: Duration = .seconds(3599)
    /// Lifetime of managed identity tokens (Azure's are 24 hours).
    public var managedIdentityTokenLifetime: Duration = .seconds(86399)
    /// The port of the plain-HTTP metadata listener (IMDS, App Service, Arc); 0 picks a free one.
    public var metadataPort = 0
    /// Where identity files go (certificate, key, federated token, Arc challenges); a new temporary
    /// directory when `nil`.
    public var identityDirectory: String?
    /// Where Arc challenge files are written (set from ``identityDirectory`` at start).
    public var arcKeyDirectory = ""
    /// Start an HTTP CONNECT proxy (only to the emulator itself) on this port; `nil` for none, 0 picks one.
    public var proxyPort: Int?
    /// `user:password` the proxy demands in `Proxy-Authorization`, if any.
    public var proxyCredentials: String?
    /// Whether `regenerateKey` answers with both keys instead of the regenerated half.
    public var fullRegenerateResponse = false
    /// ARM's write bucket per subscription and principal; `nil` turns throttling off.
    public var writeBucket: TokenBucketSettings? = TokenBucketSettings(capacity: 200, refillPerSecond: 10)
    /// ARM's read bucket per subscription and principal; `nil` turns read throttling off.
    public var readBucket: TokenBucketSettings? = TokenBucketSettings(capacity: 250, refillPerSecond: 25)
    /// The name of the Blob Storage account, served path-style at `{base}/{account}/{container}/{blob}`
    /// with its own Shared Key (``EmulatorInfo/blobAccountKey``) or Entra tokens for Storage.
    public var storageAccount = "keyrotdblobs"
    /// Secret versions a vault creates per 10 s before it answers 429 (Key Vault's limit: 300).
    public var keyVaultWriteLimit = 300
    /// Other Key Vault transactions per vault per 10 s (Key Vault's limit: 4,000).
    public var keyVaultOtherLimit = 4000

    /// The id of subscription `index` (0-based): the first id with its last digits counting up.
    public func subscriptionID(_ index: Int) -> String {
        guard index > 0 else { return subscription }
        let suffix = String(index + 1)
        return String(subscription.dropLast(suffix.count)) + suffix
    }
    /// Fault injection.
    public var faults = Faults()
    /// Seed of the fault and key random generator (fixed for repeatable runs).
    public var seed: UInt64 = UInt64.random(in: .min ... .max)

    /// Creates the default configuration.
    public init() {}

    /// Parameters of a token bucket.
    public struct TokenBucketSettings: Sendable {
        /// Burst size.
        public var capacity: Double
        /// Tokens added per second.
        public var refillPerSecond: Double

        /// Creates settings.
        public init(capacity: Double, refillPerSecond: Double) {
            self.capacity = capacity
            self.refillPerSecond = refillPerSecond
        }
    }

    /// Faults injected into ARM calls.
    public struct Faults: Sendable {
        /// Added latency, uniform in this range.
        public var latency: ClosedRange<Duration> = .zero ... .zero
        /// Added latency of Blob Storage requests, uniform in this range (a storage account in the
        /// same region answers in 20–50 ms).
        public var storageLatency: ClosedRange<Duration> = .zero ... .zero
        /// Probability of answering with each status code (500, 503, 429, 403 …) instead of serving.
        public var errorRates: [Int: Double] = [:]
        /// Probability of resetting the connection (before or after acting, at random).
        public var resetRate = 0.0
        /// Probability of never answering (before or after acting, at random).
        public var timeoutRate = 0.0
        /// Probability of serving but answering with a truncated JSON body.
        public var malformedRate = 0.0
        /// Regenerate a random key of a random resource this often, as someone in the portal would.
        public var outOfBandRegenerationEvery: Duration?
        /// How long a newly generated key is refused by the data plane (propagation delay).
        public var keyValidityDelay: Duration = .zero
        /// How long an application's new password takes to reach every replica of the token
        /// endpoint: within it, a request with the password succeeds with a probability growing from 0 to 1.
        public var credentialReplicationDelay: Duration = .zero
        /// Hostile values put into `listKeys` and `regenerateKey` answers, one kind after the other
        /// (after the operation took effect, as a tampering proxy would).
        public var hostileValues: [HostileValue] = []
        /// How many answers get one; `nil` for every answer.
        public var hostileValueCount: Int?

        /// No faults.
        public init() {}
    }
}
