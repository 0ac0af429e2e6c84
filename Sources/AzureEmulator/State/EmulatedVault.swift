import FoundationEssentials

/// One Key Vault's secrets as the emulator keeps them: every version of every secret, and the
/// vault's two request budgets.
struct EmulatedVault: Sendable {
    /// One version of a secret.
    struct Version: Sendable {
        /// 32 lower-case hex digits, as Key Vault's are.
        var id: String
        var value: String
        var contentType: String?
        var tags: [String: String]
        var enabled: Bool
        /// `nbf` and `exp`, Unix seconds.
        var notBefore: Int?
        var expires: Int?
        var created: Int
        var updated: Int
    }

    /// A secret: its name as first written (names compare case-insensitively) and its versions, oldest first.
    struct Secret: Sendable {
        var name: String
        var versions: [Version]
    }

    /// Secrets by lower-cased name.
    private(set) var secrets: [String: Secret] = [:]
    /// Secret creations per 10 s, and every other transaction.
    private var writes: TokenBucket
    private var others: TokenBucket

    /// An empty vault whose budgets allow `writeLimit` creations and `otherLimit` other transactions per 10 s.
    init(writeLimit: Int, otherLimit: Int, now: Double) {
        writes = TokenBucket(capacity: Double(writeLimit), refillPerSecond: Double(writeLimit) / 10, now: now)
        others = TokenBucket(capacity: Double(otherLimit), refillPerSecond: Double(otherLimit) / 10, now: now)
    }

    /// Takes a token of the budget `write` names (creations or the rest), or says how many seconds
    /// until there is one. Refused requests take none, as Key Vault's 429s do not count.
    mutating func admit(write: Bool, now: Double) -> Double? {
        write ? writes.take(now: now) : others.take(now: now)
    }

    /// The secret `name`, if it exists.
    func secret(_ name: String) -> Secret? { secrets[name.lowercased()] }

    /// Adds a version to `name` (creating the secret) and returns it.
    mutating func add(_ name: String, _ version: Version) -> Version {
        secrets[name.lowercased(), default: Secret(name: name, versions: [])].versions.append(version)
        return version
    }

    /// Applies `change` to version `id` of `name` (the latest when `id` is empty) and returns it with
    /// the secret's name as first written.
    mutating func update(_ name: String, version id: String, _ change: (inout Version) -> Void) -> (name: String, version: Version)? {
        guard var secret = secrets[name.lowercased()] else { return nil }
        guard let index = id.isEmpty ? secret.versions.indices.last : secret.versions.firstIndex(where: { $0.id == id.lowercased() }) else {
            return nil
        }
        change(&secret.versions[index])
        secrets[name.lowercased()] = secret
        return (secret.name, secret.versions[index])
    }
}
