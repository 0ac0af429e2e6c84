import Crypto
import CryptoExtras
import FoundationEssentials
import SwiftASN1
import X509

extension EmulatedApplication.Certificate {
    /// The credential of the DER certificate `der`, or `nil` when it is no RSA certificate.
    init?(der: [UInt8], keyID: String, displayName: String, addedAt: Double) {
        guard let certificate = try? X509.Certificate(derEncoded: der), let key = _RSA.Signing.PublicKey(certificate.publicKey) else {
            return nil
        }
        self.init(
            keyID: keyID,
            displayName: displayName,
            publicKey: key,
            thumbprintSHA1: EmulatorState.base64URL(Array(Insecure.SHA1.hash(data: der))),
            thumbprintSHA256: EmulatorState.base64URL(Array(SHA256.hash(data: der))),
            start: certificate.notValidBefore,
            end: certificate.notValidAfter,
            addedAt: addedAt
        )
    }

    /// A new key and self-signed certificate valid for `days` (negative: already ended): its
    /// credential, and the PEM of the certificate and of the key, for tests and the demo.
    static func make(displayName: String, days: Double, addedAt: Double) throws -> (Self, certificatePEM: String, privateKeyPEM: String) {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName(displayName.isEmpty ? "emulated application" : displayName) }
        let now = Date()
        let end = now.addingTimeInterval(days * 86_400)
        let certificate = try X509.Certificate(
            version: .v3,
            serialNumber: X509.Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: min(now.addingTimeInterval(-3600), end.addingTimeInterval(-86_400)),
            notValidAfter: end,
            issuer: name,
            subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try X509.Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: .init(key)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        guard
            let credential = Self(der: serializer.serializedBytes, keyID: UUID().uuidString.lowercased(), displayName: displayName, addedAt: addedAt)
        else { throw CancellationError() }
        return (credential, try certificate.serializeAsPEM().pemString, key.pemRepresentation)
    }
}

extension EmulatedApplication {
    /// Why a JWT signed by one of the application's certificates is refused, or `nil` when it is
    /// good: a compact JWS, RS256 or PS256, naming (by `x5t` or `x5t#S256`) a certificate of the
    /// application that is valid now, and signed by its key.
    func checkSignature(of jwt: String, now: Date = Date()) -> (claims: JSONValue?, refusal: String?) {
        let parts = jwt.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 3, let headerBytes = EmulatorState.base64URLDecode(String(parts[0])),
            let claimBytes = EmulatorState.base64URLDecode(String(parts[1])), let signatureBytes = EmulatorState.base64URLDecode(String(parts[2])),
            let header = JSONValue(parsing: headerBytes), let claims = JSONValue(parsing: claimBytes)
        else { return (nil, "the token is not a JWT") }
        guard let certificate = certificates.first(where: { $0.isNamed(by: header) }) else {
            return (claims, "the certificate named by the token is not registered on application '\(appID)'")
        }
        guard certificate.start <= now, now < certificate.end else { return (claims, "the key used is expired") }
        let padding: _RSA.Signing.Padding
        switch header["alg"]?.string {
        case "RS256": padding = .insecurePKCS1v1_5
        case "PS256": padding = .PSS
        default: return (claims, "invalid JWT algorithm '\(header["alg"]?.string ?? "none")'")
        }
        let input = Array(parts[0].utf8) + [UInt8(ascii: ".")] + Array(parts[1].utf8)
        let signature = _RSA.Signing.RSASignature(rawRepresentation: signatureBytes)
        guard certificate.publicKey.isValidSignature(signature, for: SHA256.hash(data: input), padding: padding) else {
            return (claims, "the signature is not valid")
        }
        return (claims, nil)
    }
}
