import Crypto

/// A non-reversible identifier of a key: the first 16 hex digits of its SHA-256.
///
/// Access keys are 64 random bytes, so a truncated hash reveals nothing about them; it is what the
/// state files, logs and status output use to say *which* key is meant.
public struct KeyFingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// The first eight bytes of the SHA-256, big-endian: every record holds two fingerprints, and
    /// as text each was a heap string (128 bytes per resource at 10,000).
    private let bits: UInt64

    /// `sha256:` followed by 16 lower-case hex digits.
    public var value: String {
        let hex = String(bits, radix: 16)
        return "sha256:" + String(repeating: "0", count: 16 - hex.count) + hex
    }

    /// Fingerprints a secret value.
    public init(of secret: String) {
        self.init(bytes: Array(secret.utf8))
    }

    /// Fingerprints raw bytes (a whole secret file, for instance).
    public init(bytes: [UInt8]) {
        self.bits = SHA256.hash(data: bytes).prefix(8).reduce(0) { $0 << 8 | UInt64($1) }
    }

    /// Restores a fingerprint from its stored form (`sha256:` and 16 hex digits); `nil` for anything else.
    public init?(stored: String) {
        guard stored.hasPrefix("sha256:"), stored.utf8.count == 23, let bits = UInt64(stored.dropFirst(7), radix: 16) else { return nil }
        self.bits = bits
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        guard let fingerprint = Self(stored: try container.decode(String.self)) else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "not a key fingerprint (sha256: and 16 hex digits)")
        }
        self = fingerprint
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }
}
