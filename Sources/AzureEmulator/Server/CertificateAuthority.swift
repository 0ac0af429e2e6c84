import Crypto
import FoundationEssentials
import SwiftASN1
import X509

/// A throwaway CA and a server certificate for the loopback addresses, made at start so the
/// emulator can serve HTTPS that clients verify properly against the CA file.
struct CertificateAuthority {
    /// The CA certificate clients trust.
    let caPEM: String
    /// The server certificate.
    let serverCertificatePEM: String
    /// The server's private key.
    let serverKeyPEM: String

    /// Makes a CA and a server certificate valid for `hosts` (names or IP addresses).
    init(hosts: [String]) throws {
        let now = Date()
        let caKey = P256.Signing.PrivateKey()
        let caName = try DistinguishedName {
            OrganizationName("keyrotd emulator")
            CommonName("keyrotd emulator CA")
        }
        let ca = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(caKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400 * 30),
            issuer: caName,
            subject: caName,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true, cRLSign: true))
                SubjectKeyIdentifier(hash: .init(caKey.publicKey))
            },
            issuerPrivateKey: .init(caKey)
        )
        let serverKey = P256.Signing.PrivateKey()
        var names: [GeneralName] = []
        for host in hosts {
            if let address = Self.ipv4(host) {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice(address))))
            } else if host == "::1" {
                names.append(.ipAddress(ASN1OctetString(contentBytes: ArraySlice([UInt8](repeating: 0, count: 15) + [1]))))
            } else {
                names.append(.dnsName(host))
            }
        }
        let server = try Certificate(
            version: .v3,
            serialNumber: Certificate.SerialNumber(),
            publicKey: .init(serverKey.publicKey),
            notValidBefore: now.addingTimeInterval(-3600),
            notValidAfter: now.addingTimeInterval(86_400 * 30),
            issuer: caName,
            subject: try DistinguishedName { CommonName(hosts.first ?? "localhost") },
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(names)
                AuthorityKeyIdentifier(keyIdentifier: SubjectKeyIdentifier(hash: .init(caKey.publicKey)).keyIdentifier)
            },
            issuerPrivateKey: .init(caKey)
        )
        self.caPEM = try ca.serializeAsPEM().pemString + "\n"
        self.serverCertificatePEM = try server.serializeAsPEM().pemString + "\n"
        self.serverKeyPEM = serverKey.pemRepresentation + "\n"
    }

    private static func ipv4(_ host: String) -> [UInt8]? {
        let parts = host.split(separator: ".").compactMap { UInt8($0) }
        return parts.count == 4 ? parts : nil
    }
}
