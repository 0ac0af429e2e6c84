import Crypto
import CryptoExtras
import Foundation
import KeyRotation

/// The signed JWT a certificate credential sends instead of a secret (RFC 7523): header names the
/// certificate by thumbprint, claims bind it to this client, this token URL and a short window.
public struct ClientAssertion: Sendable {
    /// The certificate, DER.
    public var certificateDER: [UInt8]
    /// Its private key.
    public var privateKey: _RSA.Signing.PrivateKey
    /// PS256 with `x5t#S256`, or RS256 with `x5t`.
    public var algorithm: CredentialConfiguration.AssertionAlgorithm

    /// Creates an assertion signer.
    public init(certificateDER: [UInt8], privateKey: _RSA.Signing.PrivateKey, algorithm: CredentialConfiguration.AssertionAlgorithm) {
        self.certificateDER = certificateDER
        self.privateKey = privateKey
        self.algorithm = algorithm
    }

    /// How long an assertion is valid (azure-identity uses 30 minutes).
    public static let lifetime: TimeInterval = 1800

    /// A signed assertion for `clientID` at the token endpoint `audience`, valid from `now`.
    public func signed(clientID: String, audience: String, now: Date, jti: String = UUID().uuidString.lowercased()) throws -> Secret {
        var header: [String: String] = ["typ": "JWT", "alg": algorithm.rawValue]
        switch algorithm {
        case .ps256: header["x5t#S256"] = Base64URL.encode(SHA256.hash(data: certificateDER))
        case .rs256: header["x5t"] = Base64URL.encode(Insecure.SHA1.hash(data: certificateDER))
        }
        let issued = Int(now.timeIntervalSince1970)
        let claims: [String: Any] = [
            "aud": audience, "iss": clientID, "sub": clientID, "jti": jti, "nbf": issued, "exp": issued + Int(Self.lifetime),
        ]
        let signingInput =
            Base64URL.encode(try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys]))
            + "." + Base64URL.encode(try JSONSerialization.data(withJSONObject: claims, options: [.sortedKeys]))
        let digest = SHA256.hash(data: Array(signingInput.utf8))
        let signature = try privateKey.signature(for: digest, padding: algorithm == .ps256 ? .PSS : .insecurePKCS1v1_5)
        return Secret(signingInput + "." + Base64URL.encode(signature.rawRepresentation))
    }
}

/// Base64url without padding (RFC 7515 §2).
enum Base64URL {
    /// Encodes bytes.
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// Decodes with or without padding; `nil` when it is not base64url (or base64).
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var s = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}
