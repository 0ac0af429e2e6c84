import Crypto
import FoundationEssentials
import Glibc

/// The emulated cloud: tenant, principals, resources and their keys, the write bucket, counters.
actor EmulatorState {
    /// A service principal the emulated tenant knows.
    struct Principal: Sendable {
        var clientID: String
        /// Empty for principals that prove themselves otherwise (certificate, federation, managed identity).
        var secret: String
        var canWrite: Bool
    }

    /// Counters exposed at `/_emulator/stats` (no secrets).
    struct Stats: Sendable, Codable {
        var requests = 0
        var tokenRequests = 0
        var armReads = 0
        var armWrites = 0
        var listKeys = 0
        var regenerations = 0
        /// Regenerations answered with 202 and run in the background.
        var operationsStarted = 0
        /// ARM writes (list and regenerate actions) per type name.
        var armWritesByType: [String: Int] = [:]
        /// Keys regenerated per type name.
        var regenerationsByType: [String: Int] = [:]
        var throttled = 0
        /// Reads answered 429.
        var throttledReads = 0
        var injectedErrors = 0
        var injectedResets = 0
        var injectedTimeouts = 0
        var injectedMalformed = 0
        /// Key answers given a hostile value (`--inject-values`).
        var injectedValues = 0
        /// Requests left unanswered at a hang point (`/_emulator/hang`).
        var hung = 0
        var outOfBandRegenerations = 0
        var dataPlaneAccepted = 0
        var dataPlaneDenied = 0
        /// Tokens issued per way of proving identity: secret, certificate, federated, imds, appService, arc.
        var tokensIssued: [String: Int] = [:]
        /// Token requests refused (any reason).
        var tokenRefusals = 0
        /// Token requests that carried a `claims` parameter (CAE challenges answered).
        var claimsRequests = 0
        /// ARM requests refused with a CAE `insufficient_claims` challenge.
        var claimsChallenges = 0
        /// Arc 401 challenges issued.
        var arcChallenges = 0
        /// Tunnels opened through the test proxy.
        var proxyTunnels = 0
        /// Proxy requests refused (wrong target or credentials).
        var proxyRefusals = 0
        /// Key Vault requests answered with the authentication challenge (no token).
        var keyVaultChallenges = 0
        /// Secret versions created.
        var keyVaultWrites = 0
        /// Key Vault requests answered 429.
        var keyVaultThrottled = 0
        /// Blob Storage requests (all answers).
        var storageRequests = 0
        /// Blob Storage writes that went ahead (Put Blob, metadata, deletes, container changes).
        var storageWrites = 0
        /// Bytes of blob data written.
        var storageBytesWritten = 0
        /// Lease actions that went ahead.
        var leaseActions = 0
        /// Blob Storage requests refused (authentication, conditions, leases, missing blobs).
        var storageRefusals = 0
        /// Blob Storage requests answered with an injected fault.
        var storageFaults = 0
        /// Microsoft Graph requests (all answers).
        var graphRequests = 0
        /// Graph requests that carried a valid token for Graph.
        var graphAuthorized = 0
        /// Password credentials added and removed through Graph.
        var passwordsAdded = 0
        var passwordsRemoved = 0
        /// Token requests with an application's password refused while it was still replicating.
        var replicationRefusals = 0
    }

    /// How the emulator was set up.
    let configuration: EmulatorConfiguration
    /// The tenant id.
    let tenant: String
    /// The principal allowed to list and regenerate keys.
    let writer: Principal
    /// A principal with read access only.
    let reader: Principal
    /// Certificate, federated and managed identities.
    let identities: EmulatedIdentities
    /// Every principal by client id.
    private let principals: [String: Principal]
    /// Client assertion ids already used (replays are refused).
    private var usedAssertionIDs: Set<String> = []
    /// Tokens issued before this instant (Unix time) get a CAE challenge at ARM.
    private(set) var revokedBefore: Double?
    /// Arc challenge files handed out and not yet used: path → contents.
    private var arcChallenges: [String: String] = [:]
    private(set) var resources: [String: EmulatedResource] = [:]
    private(set) var stats = Stats()
    private var buckets: [String: TokenBucket] = [:]
    /// The Key Vault, made at its first request.
    private var vault: EmulatedVault?
    private var random: FaultRandom
    /// The hostile values key answers get, in turn, and how many answers are left to spoil (`nil`: all).
    private var hostileValues: (kinds: [HostileValue], remaining: Int?)
    private var hostileTurn = 0
    /// Where requests go unanswered now.
    private var hangPoints: Set<HangPoint> = []
    private var blobs = BlobStore()
    /// Every change carried out, when the emulator keeps an audit (`--audit`).
    private(set) var audit: [AuditEvent]?
    private var storageFault: StorageFault?
    /// The tenant's app registrations by object id (lower-cased), managed through Microsoft Graph.
    var applications: [String: EmulatedApplication] = [:]
    /// The Shared Key of the emulator's Blob Storage account (base64 of 64 random bytes).
    let blobAccountKey = EmulatedResource.newKey()
    private let signingKey = SymmetricKey(size: .bits256)
    private let started = ContinuousClock.now

    /// Creates the principals and resources.
    init(configuration: EmulatorConfiguration, identities: EmulatedIdentities) {
        self.configuration = configuration
        self.tenant = configuration.tenant
        self.writer = Principal(clientID: UUID().uuidString.lowercased(), secret: EmulatedResource.newKey(), canWrite: true)
        self.reader = Principal(clientID: UUID().uuidString.lowercased(), secret: EmulatedResource.newKey(), canWrite: false)
        self.identities = identities
        var principals = [writer.clientID: writer, reader.clientID: reader]
        for id in [
            identities.certificateApp.clientID, identities.federatedClientID, identities.systemAssigned.clientID, identities.userAssigned.clientID,
        ] {
            principals[id] = Principal(clientID: id, secret: "", canWrite: true)
        }
        self.principals = principals
        self.random = FaultRandom(seed: configuration.seed)
        self.audit = configuration.audit ? [] : nil
        self.hostileValues = (configuration.faults.hostileValues, configuration.faults.hostileValueCount)
        var index = 0
        for type in configuration.types {
            for i in 1...max(configuration.resources, 1) where configuration.resources > 0 {
                let resource = EmulatedResource(
                    type: type,
                    subscription: configuration.subscriptionID(index % max(1, configuration.subscriptions)),
                    resourceGroup: configuration.resourceGroup,
                    names: type.names(index: i)
                )
                index += 1
                resources[resource.id.lowercased()] = resource
            }
        }
    }

    /// Runs `body` on the Key Vault.
    func withVault<T: Sendable>(_ body: (inout EmulatedVault) -> T) -> T {
        var vault = self.vault ?? EmulatedVault(writeLimit: configuration.keyVaultWriteLimit, otherLimit: configuration.keyVaultOtherLimit, now: now)
        defer { self.vault = vault }
        return body(&vault)
    }

    /// Seconds since start, monotonic.
    var now: Double {
        let d = ContinuousClock.now - started
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Updates the counters.
    func count(_ update: (inout Stats) -> Void) { update(&stats) }

    /// Appends to the audit, when there is one; `event` gets the time.
    func record(_ event: AuditEvent) {
        guard audit != nil else { return }
        var event = event
        event.at = now
        audit?.append(event)
    }

    /// Whether `s` is an emulated subscription.
    func hasSubscription(_ s: String) -> Bool {
        (0..<max(1, configuration.subscriptions)).contains { configuration.subscriptionID($0).lowercased() == s.lowercased() }
    }

    /// Whether `g` is a resource group of subscription `s`.
    func hasResourceGroup(_ s: String, _ g: String) -> Bool {
        hasSubscription(s) && g.lowercased() == configuration.resourceGroup.lowercased()
    }

    /// The resource with ARM id `id` (case-insensitive).
    func resource(id: String) -> EmulatedResource? { resources[id.lowercased()] }

    /// A resource whose top resource (the namespace of a rule) is `id`.
    func resource(topID id: String) -> EmulatedResource? {
        resources.values.first { $0.topID.lowercased() == id.lowercased() }
    }

    /// The resource called `name` (names are unique in the emulator).
    func resource(named name: String) -> EmulatedResource? {
        resources.values.first { $0.name.lowercased() == name.lowercased() }
    }

    /// Regenerates one key of the resource with id `id` and returns the updated resource.
    @discardableResult
    func regenerate(_ id: String, slot: EmulatedResource.Slot) -> EmulatedResource? {
        guard var r = resources[id.lowercased()], let replaced = r.keys[slot] else { return nil }
        if audit != nil {
            record(
                AuditEvent(
                    at: 0,
                    kind: .regenerated,
                    resource: r.name,
                    slot: slot == .primary ? "primary" : "secondary",
                    replaced: AuditEvent.fingerprint(replaced.value)
                )
            )
        }
        r.keys[slot] = EmulatedResource.Key(
            value: r.type.newKey(),
            id: EmulatedResource.newKeyID(),
            validFrom: now + configuration.faults.keyValidityDelay.seconds
        )
        resources[id.lowercased()] = r
        stats.regenerations += 1
        stats.regenerationsByType[r.type.name, default: 0] += 1
        return r
    }

    /// A regeneration running in the background: its key changes when it completes.
    struct Operation: Sendable {
        var resourceID: String
        var slot: EmulatedResource.Slot
        var completesAt: Double
        var completed = false
    }

    private var operations: [String: Operation] = [:]

    /// Starts a background regeneration and returns its id.
    func startRegeneration(_ id: String, slot: EmulatedResource.Slot) -> String {
        let operationID = UUID().uuidString.lowercased()
        operations[operationID] = Operation(resourceID: id, slot: slot, completesAt: now + configuration.operationDuration.seconds)
        stats.operationsStarted += 1
        return operationID
    }

    /// Completes the background regenerations that are due; called before anything reads keys.
    func settleOperations() {
        for (operationID, operation) in operations where !operation.completed && operation.completesAt <= now {
            regenerate(operation.resourceID, slot: operation.slot)
            operations[operationID]?.completed = true
        }
    }

    /// The background regeneration `id`.
    func operation(_ id: String) -> Operation? { operations[id.lowercased()] }

    /// Whether operation `id` has completed; `nil` when it is unknown.
    func operationCompleted(_ id: String) -> Bool? {
        settleOperations()
        return operations[id.lowercased()]?.completed
    }

    /// Regenerates a random key of a random resource (out-of-band fault).
    func regenerateRandomKey() {
        guard !resources.isEmpty else { return }
        let keys = resources.keys.sorted()
        let key = keys[Int(random.next() % UInt64(keys.count))]
        regenerate(key, slot: random.next() % 2 == 0 ? .primary : .secondary)
        stats.outOfBandRegenerations += 1
    }

    /// Takes a token of the write (or read) bucket ARM keeps for `principal` on `subscription`;
    /// returns the seconds to wait when throttled, and the tokens left.
    func take(write: Bool, subscription: String, principal: String) -> (retryAfter: Double?, remaining: Int) {
        guard let settings = write ? configuration.writeBucket : configuration.readBucket else { return (nil, 1_000_000) }
        let key = "\(write ? "w" : "r")/\(subscription.lowercased())/\(principal)"
        var bucket = buckets[key] ?? TokenBucket(capacity: settings.capacity, refillPerSecond: settings.refillPerSecond, now: now)
        let wait = bucket.take(now: now)
        buckets[key] = bucket
        return (wait, Int(bucket.tokens))
    }

    /// Spoils the next key answers with `kinds` in turn: `count` of them, or all while `count` is `nil`.
    func injectValues(_ kinds: [HostileValue], count: Int?) {
        hostileValues = (kinds, count)
        hostileTurn = 0
    }

    /// The hostile value the next key answer gets, if any.
    func nextHostileValue() -> HostileValue? {
        guard !hostileValues.kinds.isEmpty, hostileValues.remaining ?? 1 > 0 else { return nil }
        hostileValues.remaining = hostileValues.remaining.map { $0 - 1 }
        defer { hostileTurn += 1 }
        stats.injectedValues += 1
        return hostileValues.kinds[hostileTurn % hostileValues.kinds.count]
    }

    /// Makes requests at `points` go unanswered from now on (none: answer again).
    func hang(at points: Set<HangPoint>) { hangPoints = points }

    /// Whether a request at `point` must go unanswered; counts it if so.
    func hangs(_ point: HangPoint) -> Bool {
        guard hangPoints.contains(point) else { return false }
        stats.hung += 1
        return true
    }

    /// Runs `body` on the Blob Storage account.
    func withBlobs<T: Sendable>(_ body: (inout BlobStore) throws(StorageError) -> T) throws(StorageError) -> T {
        try body(&blobs)
    }

    /// Puts `fault` on Blob Storage calls (`nil`: none).
    func setStorageFault(_ fault: StorageFault?) { storageFault = fault }

    /// The fault a Blob Storage call of `target` gets, if any; counts it.
    func storageFault(for target: StorageFault.Target) -> StorageFault.Answer? {
        guard let fault = storageFault, fault.targets.contains(target), fault.remaining ?? 1 > 0 else { return nil }
        storageFault?.remaining = fault.remaining.map { $0 - 1 }
        stats.storageFaults += 1
        return fault.answer
    }

    /// A uniform random number in [0, 1) from the seeded fault generator.
    func roll() -> Double { random.unit() }

    // MARK: - Tokens

    /// The principal with `clientID`: a built-in one, or an app registration's (which may write).
    func principal(clientID: String) -> Principal? {
        principals[clientID] ?? application(clientID: clientID).map { Principal(clientID: $0.appID, secret: "", canWrite: true) }
    }

    /// Records an assertion id; `false` when it was used before.
    func useAssertionID(_ jti: String) -> Bool { usedAssertionIDs.insert(jti).inserted }

    /// Revokes every token issued so far (as a CAE event would, e.g. a disabled account).
    func revokeTokens() { revokedBefore = Date().timeIntervalSince1970 }

    /// Hands out an Arc challenge: a new `.key` file in `directory`; returns its path.
    func arcChallenge(directory: String) throws -> String {
        let path = directory + "/" + UUID().uuidString.lowercased() + ".key"
        let contents = EmulatedResource.newKey()
        guard FileManager.default.createFile(atPath: path, contents: Data(contents.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw IdentityFileError(path: path, errno: errno)
        }
        arcChallenges[path] = contents
        stats.arcChallenges += 1
        return path
    }

    /// Whether `contents` answers an outstanding Arc challenge (each answers once).
    func answerArcChallenge(_ contents: String) -> Bool {
        guard let (path, _) = arcChallenges.first(where: { $0.value == contents }) else { return false }
        arcChallenges[path] = nil
        try? FileManager.default.removeItem(atPath: path)
        return true
    }

    /// Issues a bearer token for `principal`: `payload.signature`, HMAC-signed so forgeries are caught.
    func issueToken(for principal: Principal, audience: String, lifetime: Duration? = nil) -> (token: String, expiresIn: Int) {
        let lifetime = Int((lifetime ?? configuration.tokenLifetime).seconds)
        let issued = Date().timeIntervalSince1970
        let expiry = issued + Double(lifetime)
        let payload = "\(principal.clientID)|\(tenant)|\(Int(expiry))|\(audience)|\(issued)|\(UUID().uuidString)"
        let encoded = Self.base64URL(Array(payload.utf8))
        let signature = Self.base64URL(Array(HMAC<SHA256>.authenticationCode(for: Data(encoded.utf8), using: signingKey)))
        return (encoded + "." + signature, lifetime)
    }

    /// What a bearer token turned out to be.
    enum TokenVerdict: Sendable {
        /// Genuine and current, issued to `principal` for `audience` (the scope without `/.default`).
        case valid(Principal, audience: String)
        case invalid
        case expired(Date)
        /// Issued before a revocation: answer with a CAE challenge demanding a token issued after it.
        case revoked(notBefore: Double)
    }

    /// Checks a bearer token's signature and expiry.
    func verify(token: String) -> TokenVerdict {
        let parts = token.split(separator: ".")
        guard parts.count == 2 else { return .invalid }
        let expected = Self.base64URL(Array(HMAC<SHA256>.authenticationCode(for: Data(parts[0].utf8), using: signingKey)))
        guard expected == parts[1], let payloadBytes = Self.base64URLDecode(String(parts[0])) else { return .invalid }
        let fields = String(decoding: payloadBytes, as: UTF8.self).split(separator: "|").map(String.init)
        guard fields.count == 6, let expiry = Double(fields[2]), let issued = Double(fields[4]) else { return .invalid }
        if Date().timeIntervalSince1970 >= expiry { return .expired(Date(timeIntervalSince1970: expiry)) }
        if let revokedBefore, issued < revokedBefore { return .revoked(notBefore: revokedBefore) }
        return principal(clientID: fields[0]).map { .valid($0, audience: fields[3]) } ?? .invalid
    }

    /// Base64url without padding.
    static func base64URL(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// Decodes base64url with or without padding.
    static func base64URLDecode(_ text: String) -> [UInt8]? {
        var s = text.replacing("-", with: "+").replacing("_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}

/// The seeded generator behind fault decisions.
struct FaultRandom: Sendable {
    private var state: UInt64

    /// Seeds the generator.
    init(seed: UInt64) { state = seed }

    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    mutating func unit() -> Double { Double(next() >> 11) / Double(1 << 53) }
}

extension Duration {
    /// The duration in seconds.
    var seconds: Double {
        Double(components.seconds) + Double(components.attoseconds) / 1e18
    }
}
