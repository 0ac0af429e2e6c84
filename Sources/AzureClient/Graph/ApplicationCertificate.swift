import Crypto
import CryptoExtras
import FoundationEssentials
import KeyRotation
import SwiftASN1
import X509

/// An application's certificate credential as keyrotd makes and publishes it: an RSA key and a
/// self-signed certificate, together in one PEM text (the key first), which is what a consumer's
/// `CertificateCredential` reads from a file.
public struct ApplicationCertificate: Sendable {
    /// The certificate, DER.
    public let certificateDER: [UInt8]
    /// The private key.
    public let privateKey: _RSA.Signing.PrivateKey

    /// Makes a new key of `bits` (2048 or more) and a certificate for `subject`, valid from five
    /// minutes before `now` (clocks differ) for `lifetime`.
    public static func make(subject: String, lifetime: Duration, now: Date = Date(), bits: Int = 2048) throws -> ApplicationCertificate {
        let key = try _RSA.Signing.PrivateKey(keySize: .init(bitCount: max(2048, bits)))
        let name = try DistinguishedName { CommonName(subject) }
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-300),
            notValidAfter: now.addingTimeInterval(lifetime.seconds),
            issuer: name,
            subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: .init(key)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return ApplicationCertificate(certificateDER: serializer.serializedBytes, privateKey: key)
    }

    /// Reads the key and certificate of a PEM text (any order); `nil` when it holds no RSA key or no certificate.
    public init?(pem: String) {
        guard let certificate = PEMBlock.first(labelled: ["CERTIFICATE"], in: pem),
            let block = PEMBlock.first(labelled: ["PRIVATE KEY", "RSA PRIVATE KEY"], in: pem),
            let key = try? _RSA.Signing.PrivateKey(derRepresentation: block.der)
        else { return nil }
        self.init(certificateDER: certificate.der, privateKey: key)
    }

    private init(certificateDER: [UInt8], privateKey: _RSA.Signing.PrivateKey) {
        self.certificateDER = certificateDER
        self.privateKey = privateKey
    }

    /// The key and certificate as one PEM text, without a final line break.
    public var pem: Secret {
        let certificate = Data(certificateDER).base64EncodedString(options: [.lineLength64Characters, .endLineWithLineFeed])
        let key = privateKey.pemRepresentation.trimmingWhitespace()
        return Secret(key + "\n-----BEGIN CERTIFICATE-----\n" + certificate.trimmingWhitespace() + "\n-----END CERTIFICATE-----")
    }

    /// Graph's `customKeyIdentifier` of the certificate: its SHA-1 thumbprint in upper-case hex.
    public var thumbprint: String {
        Insecure.SHA1.hash(data: certificateDER).map { byte in
            let digits = String(byte, radix: 16, uppercase: true)
            return digits.count == 1 ? "0" + digits : digits
        }.joined()
    }

    /// A proof of possession for `addKey` and `removeKey` on the application object `objectID`:
    /// a JWT signed (RS256) with this certificate's key, valid for ten minutes from `now`.
    public func proof(objectID: String, now: Date = Date()) throws -> Secret {
        let header: [String: String] = ["alg": "RS256", "typ": "JWT", "x5t": Base64URL.encode(Insecure.SHA1.hash(data: certificateDER))]
        let issued = Int(now.timeIntervalSince1970)
        let claims = ProofClaims(aud: "00000002-0000-0000-c000-000000000000", iss: objectID, nbf: issued, exp: issued + 600)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let input = Base64URL.encode(try encoder.encode(header)) + "." + Base64URL.encode(try encoder.encode(claims))
        let signature = try privateKey.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        return Secret(input + "." + Base64URL.encode(signature.rawRepresentation))
    }

    /// The claims of a proof of possession.
    private struct ProofClaims: Encodable {
        var aud: String
        var iss: String
        var nbf: Int
        var exp: Int
    }
}
