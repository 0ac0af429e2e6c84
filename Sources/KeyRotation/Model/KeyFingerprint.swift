import Crypto

/// A non-reversible identifier of a key: the first 16 hex digits of its SHA-256.
///
/// Access keys are 64 random bytes, so a truncated hash reveals nothing about them; it is what the
/// state files, logs and status output use to say *which* key is meant.
public struct KeyFingerprint: Sendable, Hashable, Codable, CustomStringConvertible {
    /// `sha256:` followed by 16 lower-case hex digits.
    public let value: String

    /// Fingerprints a secret value.
    public init(of secret: String) {
        self.init(bytes: Array(secret.utf8))
    }

    /// Fingerprints raw bytes (a whole secret file, for instance).
    public init(bytes: [UInt8]) {
        let digest = SHA256.hash(data: bytes)
        let hex = digest.prefix(8).map { byte in
            let s = String(byte, radix: 16)
            return s.count == 1 ? "0" + s : s
        }.joined()
        self.value = "sha256:" + hex
    }

    /// Restores a fingerprint from its stored form.
    public init(stored: String) { self.value = stored }

    public init(from decoder: any Decoder) throws {
        self.value = try decoder.singleValueContainer().decode(String.self)
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(value)
    }

    public var description: String { value }
}
