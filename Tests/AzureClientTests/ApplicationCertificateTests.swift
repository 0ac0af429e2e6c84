import AzureClient
import Crypto
import CryptoExtras
import Foundation
import KeyRotation
import Testing

/// keyrotd's certificates for applications: made, published as one PEM text and read back, and
/// their proofs of possession.
struct ApplicationCertificateTests {
    @Test func thePEMIsOneSafeTextThatReadsBack() throws {
        let made = try ApplicationCertificate.make(subject: "keyrotd signing primary 2026-12-08T00:00:00Z", lifetime: .seconds(86_400))
        let pem = made.pem.exposedValue
        #expect(KeyValueRules.isPEM(pem), "\(pem.prefix(40))…")
        #expect(!KeyValueRules.isPEM(pem + "\nAZURE_CLIENT_SECRET=x"))
        let read = try #require(ApplicationCertificate(pem: pem))
        #expect(read.certificateDER == made.certificateDER && read.thumbprint == made.thumbprint && made.thumbprint.count == 40)
        #expect(Secret.find(KeyFingerprint(of: pem), in: pem + "\n")?.exposedValue == pem)
    }

    @Test func aProofIsSignedForTheApplicationObjectForTenMinutes() throws {
        let made = try ApplicationCertificate.make(subject: "x", lifetime: .seconds(3600))
        let now = Date(timeIntervalSince1970: 1_800_000_000)
        let parts = try made.proof(objectID: "object-1", now: now).exposedValue.split(separator: ".")
        try #require(parts.count == 3)
        func decoded(_ part: Substring) throws -> [String: Any] {
            var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            while text.count % 4 != 0 { text += "=" }
            let data = try #require(Data(base64Encoded: text))
            return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        }
        let claims = try decoded(parts[1])
        #expect(claims["aud"] as? String == "00000002-0000-0000-c000-000000000000" && claims["iss"] as? String == "object-1")
        #expect(claims["nbf"] as? Int == 1_800_000_000 && claims["exp"] as? Int == 1_800_000_600)
        #expect(try decoded(parts[0])["alg"] as? String == "RS256")
    }
}
