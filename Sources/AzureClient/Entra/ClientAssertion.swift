import Crypto
import CryptoExtras
import FoundationEssentials
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
        var header = Header(alg: algorithm.rawValue)
        switch algorithm {
        case .ps256: header.x5tS256 = Base64URL.encode(SHA256.hash(data: certificateDER))
        case .rs256: header.x5t = Base64URL.encode(Insecure.SHA1.hash(data: certificateDER))
        }
        let issued = Int(now.timeIntervalSince1970)
        let claims = Claims(aud: audience, exp: issued + Int(Self.lifetime), iss: clientID, jti: jti, nbf: issued, sub: clientID)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let signingInput = Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(claims))
        let digest = SHA256.hash(data: Array(signingInput.utf8))
        let signature = try privateKey.signature(for: digest, padding: algorithm == .ps256 ? .PSS : .insecurePKCS1v1_5)
        return Secret(signingInput + "." + Base64URL.encode(signature.rawRepresentation))
    }
}

extension ClientAssertion {
    /// The JOSE header: the certificate named by one thumbprint (absent ones are not encoded).
    private struct Header: Encodable {
        var alg: String
        var typ = "JWT"
        var x5t: String?
        var x5tS256: String?

        enum CodingKeys: String, CodingKey {
            case alg, typ, x5t
            case x5tS256 = "x5t#S256"
        }
    }

    /// The RFC 7523 claims.
    private struct Claims: Encodable {
        var aud: String
        var exp: Int
        var iss: String
        var jti: String
        var nbf: Int
        var sub: String
    }
}

/// Base64url without padding (RFC 7515 §2).
enum Base64URL {
    /// Encodes bytes.
    static func encode<Bytes: Sequence>(_ bytes: Bytes) -> String where Bytes.Element == UInt8 {
        Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
    }

    /// Decodes with or without padding; `nil` when it is not base64url (or base64).
    static func decode(_ text: some StringProtocol) -> [UInt8]? {
        var s = String(text).replacing("-", with: "+").replacing("_", with: "/")
        while s.count % 4 != 0 { s += "=" }
        return Data(base64Encoded: s).map(Array.init)
    }
}
