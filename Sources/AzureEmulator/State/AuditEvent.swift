import Crypto
import FoundationEssentials

/// One change the emulator carried out, in the order it carried them out (`--audit`,
/// `GET /_emulator/audit`): what tests hold keyrotd's invariants to, from the cloud's side rather
/// than keyrotd's. Never a key: a replaced key is named by keyrotd's fingerprint of it.
public struct AuditEvent: Sendable, Codable, Equatable {
    /// What happened.
    public enum Kind: String, Sendable, Codable {
        /// A key was regenerated (by a request, a finished operation or out of band).
        case regenerated
        /// A Key Vault secret version was created.
        case versionCreated = "version-created"
        /// A Put Blob went ahead.
        case blobWritten = "blob-written"
    }

    /// Seconds since the emulator started, monotonic.
    public var at: Double
    /// What happened.
    public var kind: Kind
    /// The regenerated key's resource (its ARM name).
    public var resource: String?
    /// The regenerated key's slot.
    public var slot: String?
    /// keyrotd's fingerprint of the key the regeneration replaced (`sha256:` and 16 hex digits).
    public var replaced: String?
    /// The secret a version was created in.
    public var secret: String?
    /// The new version's tags.
    public var tags: [String: String]?
    /// The written blob, `CONTAINER/NAME`.
    public var blob: String?
    /// The top-level integer `epoch` of a written blob's JSON body, where it has one (keyrotd's
    /// journal records and head carry the leadership's).
    public var epoch: Int?

    /// Creates an event; only the fields of its kind are set.
    public init(
        at: Double,
        kind: Kind,
        resource: String? = nil,
        slot: String? = nil,
        replaced: String? = nil,
        secret: String? = nil,
        tags: [String: String]? = nil,
        blob: String? = nil,
        epoch: Int? = nil
    ) {
        self.at = at
        self.kind = kind
        self.resource = resource
        self.slot = slot
        self.replaced = replaced
        self.secret = secret
        self.tags = tags
        self.blob = blob
        self.epoch = epoch
    }

    /// keyrotd's fingerprint of `key`: the first eight bytes of its SHA-256, in hex.
    static func fingerprint(_ key: String) -> String {
        let hex = SHA256.hash(data: Array(key.utf8)).prefix(8).map { byte in
            let digits = String(byte, radix: 16)
            return byte < 16 ? "0" + digits : digits
        }
        return "sha256:" + hex.joined()
    }

    /// The `epoch` of a JSON object body, if it has an integer one.
    static func epoch(ofJSON body: [UInt8]) -> Int? {
        struct Stamped: Decodable { var epoch: Int? }
        guard body.first == UInt8(ascii: "{") else { return nil }
        return (try? JSONDecoder().decode(Stamped.self, from: Data(body)))?.epoch
    }
}
