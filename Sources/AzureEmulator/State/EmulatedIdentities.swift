import Crypto
import CryptoExtras
import FoundationEssentials
import SwiftASN1
import X509

/// The identities beyond client secrets that the emulated tenant knows, made at start: an app
/// registration with a certificate, one with a federated identity credential trusting a test issuer
/// (whose service account tokens the emulator mints), a system-assigned and a user-assigned managed
/// identity, the App Service secret header, and the directory Arc challenge files go to.
struct EmulatedIdentities: Sendable {
    /// An app registration whose credential is a certificate.
    struct CertificateApp: Sendable {
        /// Its client id.
        var clientID: String
        /// The certificate, PEM.
        var certificatePEM: String
        /// The private key, PEM (PKCS#8).
        var privateKeyPEM: String
        /// The public key assertions are checked with.
        var publicKey: _RSA.Signing.PublicKey
        /// base64url SHA-256 of the certificate DER (`x5t#S256`).
        var thumbprintSHA256: String
        /// base64url SHA-1 of the certificate DER (`x5t`).
        var thumbprintSHA1: String
    }

    /// A managed identity.
    struct ManagedIdentity: Sendable {
        /// Its client id.
        var clientID: String
        /// Its object (principal) id.
        var objectID: String
        /// Its ARM resource id (user-assigned only).
        var resourceID: String?
    }

    /// The certificate app.
    let certificateApp: CertificateApp
    /// The workload identity app's client id.
    let federatedClientID: String
    /// The test issuer its federated credential trusts.
    let federatedIssuer = "https://oidc.keyrotd-emulator.test/cluster"
    /// The subject its federated credential trusts.
    let federatedSubject = "system:serviceaccount:keyrotd:keyrotd"
    /// The audience federated tokens must carry.
    static let federatedAudience = "api://AzureADTokenExchange"
    private let issuerKey: _RSA.Signing.PrivateKey
    /// The issuer's public key.
    let issuerPublicKey: _RSA.Signing.PublicKey
    /// The VM's system-assigned identity.
    let systemAssigned: ManagedIdentity
    /// A user-assigned identity attached to the same VM.
    let userAssigned: ManagedIdentity
    /// The secret App Service puts in `IDENTITY_HEADER`.
    let appServiceHeader: String

    /// Makes keys, the self-signed certificate and the identities.
    init(subscription: String, resourceGroup: String) throws {
        let key = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        let name = try DistinguishedName { CommonName("keyrotd emulator client certificate") }
        let now = Date()
        let certificate = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(key.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400 * 365),
            issuer: name,
            subject: name,
            signatureAlgorithm: .sha256WithRSAEncryption,
            extensions: try Certificate.Extensions { Critical(BasicConstraints.notCertificateAuthority) },
            issuerPrivateKey: .init(key)
        )
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        let der = serializer.serializedBytes
        certificateApp = CertificateApp(
            clientID: UUID().uuidString.lowercased(),
            certificatePEM: try certificate.serializeAsPEM().pemString + "\n",
            privateKeyPEM: key.pemRepresentation + "\n",
            publicKey: key.publicKey,
            thumbprintSHA256: EmulatorState.base64URL(Array(SHA256.hash(data: der))),
            thumbprintSHA1: EmulatorState.base64URL(Array(Insecure.SHA1.hash(data: der)))
        )
        issuerKey = try _RSA.Signing.PrivateKey(keySize: .bits2048)
        issuerPublicKey = issuerKey.publicKey
        federatedClientID = UUID().uuidString.lowercased()
        systemAssigned = ManagedIdentity(clientID: UUID().uuidString.lowercased(), objectID: UUID().uuidString.lowercased(), resourceID: nil)
        userAssigned = ManagedIdentity(
            clientID: UUID().uuidString.lowercased(),
            objectID: UUID().uuidString.lowercased(),
            resourceID:
                "/subscriptions/\(subscription)/resourcegroups/\(resourceGroup)/providers/Microsoft.ManagedIdentity/userAssignedIdentities/keyrotd-identity"
        )
        appServiceHeader = UUID().uuidString.lowercased()
    }

    /// A service account token as kubelet would project it: RS256, signed by the test issuer.
    func federatedToken(lifetime: TimeInterval, now: Date = Date(), subject: String? = nil) throws -> String {
        let header = ["alg": "RS256", "typ": "JWT", "kid": "emulator-issuer"]
        let issued = Int(now.timeIntervalSince1970)
        let claims: JSONValue = [
            "iss": .string(federatedIssuer), "sub": .string(subject ?? federatedSubject), "aud": [.string(Self.federatedAudience)],
            "iat": .int(issued), "nbf": .int(issued), "exp": .int(issued + Int(lifetime)), "jti": .string(UUID().uuidString.lowercased()),
        ]
        let input = EmulatorState.base64URL(header.sortedJSON) + "." + EmulatorState.base64URL(claims.sortedJSON)
        let signature = try issuerKey.signature(for: SHA256.hash(data: Array(input.utf8)), padding: .insecurePKCS1v1_5)
        return input + "." + EmulatorState.base64URL(Array(signature.rawRepresentation))
    }
}
