import CryptoExtras
import FoundationEssentials
import KeyRotation

/// A service principal proving itself with a certificate: the PEM files (normally systemd
/// credentials) are read for every token request, so a renewed certificate takes effect without a
/// restart, and a fresh assertion is signed each time.
public struct ClientCertificateSource: TokenSource {
    private let endpoint: EntraTokenEndpoint
    private let certificateFile: String
    private let privateKeyFile: String
    private let pem: Secret?
    private let algorithm: CredentialConfiguration.AssertionAlgorithm

    /// Creates the source; `privateKeyFile` may be the certificate file when it holds both.
    public init(
        endpoint: EntraTokenEndpoint,
        certificateFile: String,
        privateKeyFile: String,
        algorithm: CredentialConfiguration.AssertionAlgorithm
    ) {
        self.endpoint = endpoint
        self.certificateFile = certificateFile
        self.privateKeyFile = privateKeyFile
        self.algorithm = algorithm
        self.pem = nil
    }

    /// A key and certificate held in memory, in one PEM text (a certificate keyrotd made, proved
    /// before it is published).
    public init(endpoint: EntraTokenEndpoint, pem: Secret, algorithm: CredentialConfiguration.AssertionAlgorithm) {
        self.endpoint = endpoint
        self.certificateFile = "(in memory)"
        self.privateKeyFile = "(in memory)"
        self.algorithm = algorithm
        self.pem = pem
    }

    public var name: String { "service principal \(endpoint.clientID) (certificate, \(algorithm.rawValue))" }

    public func fetchToken(scope: String, claims: String?) async throws -> AccessToken {
        let assertion = try loadAssertion().signed(clientID: endpoint.clientID, audience: endpoint.url.absoluteString, now: endpoint.currentDate)
        return try await endpoint.requestToken(
            scope: scope,
            claims: claims,
            proof: [("client_assertion_type", EntraTokenEndpoint.jwtBearer), ("client_assertion", assertion.exposedValue)],
            proofKind: "certificate"
        )
    }

    /// Reads and checks the certificate and key.
    func loadAssertion() throws -> ClientAssertion {
        if let pem {
            guard let certificate = ApplicationCertificate(pem: pem.exposedValue) else {
                throw CredentialError(
                    source: name,
                    problem: "the PEM holds no RSA key and certificate",
                    advice: "this is keyrotd's own certificate: file an issue"
                )
            }
            return ClientAssertion(certificateDER: certificate.certificateDER, privateKey: certificate.privateKey, algorithm: algorithm)
        }
        let certificatePEM = try SecretFileReader.read(certificateFile, what: "certificate", source: name, limit: 256 * 1024)
        guard let der = PEMBlock.first(labelled: ["CERTIFICATE"], in: certificatePEM.exposedValue)?.der else {
            throw CredentialError(
                source: name,
                problem: "\(certificateFile) holds no PEM CERTIFICATE block",
                advice: "give the certificate in PEM form"
            )
        }
        let keyPEM = try SecretFileReader.read(privateKeyFile, what: "private key", source: name, limit: 256 * 1024)
        if PEMBlock.first(labelled: ["ENCRYPTED PRIVATE KEY"], in: keyPEM.exposedValue) != nil {
            throw CredentialError(
                source: name,
                problem: "the private key in \(privateKeyFile) is encrypted",
                advice: "store it unencrypted with mode 0600 (systemd's LoadCredentialEncrypted= protects it at rest)"
            )
        }
        guard let block = PEMBlock.first(labelled: ["PRIVATE KEY", "RSA PRIVATE KEY"], in: keyPEM.exposedValue),
            let key = try? _RSA.Signing.PrivateKey(derRepresentation: block.der)
        else {
            throw CredentialError(
                source: name,
                problem: "\(privateKeyFile) holds no readable RSA private key (PRIVATE KEY or RSA PRIVATE KEY PEM block)",
                advice: "Entra ID certificate credentials use RSA keys of 2048 bits or more"
            )
        }
        return ClientAssertion(certificateDER: der, privateKey: key, algorithm: algorithm)
    }
}

/// One `-----BEGIN label-----` block of a PEM file.
struct PEMBlock {
    /// The label, e.g. `CERTIFICATE`.
    var label: String
    /// The decoded body.
    var der: [UInt8]

    /// The first block whose label is one of `labels`.
    static func first(labelled labels: Set<String>, in text: String) -> PEMBlock? {
        var rest = Substring(text)
        while let begin = rest.firstRange(of: "-----BEGIN ") {
            guard let labelEnd = rest[begin.upperBound...].firstRange(of: "-----") else { return nil }
            let label = String(rest[begin.upperBound..<labelEnd.lowerBound])
            guard let end = rest[labelEnd.upperBound...].firstRange(of: "-----END \(label)-----") else { return nil }
            if labels.contains(label) {
                let body = rest[labelEnd.upperBound..<end.lowerBound].filter { !$0.isWhitespace }
                guard let der = Data(base64Encoded: String(body)) else { return nil }
                return PEMBlock(label: label, der: Array(der))
            }
            rest = rest[end.upperBound...]
        }
        return nil
    }
}
