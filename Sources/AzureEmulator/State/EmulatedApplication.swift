import Crypto
import CryptoExtras
import FoundationEssentials

/// An app registration of the emulated tenant, as Microsoft Graph holds it: its ids, owners, the
/// sign-in audience that decides its password limit, an app-management lifetime policy, and its
/// password credentials with the secrets the token endpoint checks.
struct EmulatedApplication: Sendable {
    /// One password credential. The secret text is kept only to check token requests: Graph gives it
    /// once, in the answer of `addPassword`.
    struct Password: Sendable {
        /// Graph's `keyId`.
        var keyID: String
        /// Graph's `displayName` (may be empty).
        var displayName: String
        /// The secret.
        var secret: String
        /// `startDateTime`.
        var start: Date
        /// `endDateTime`.
        var end: Date
        /// When it was added, in the emulator's monotonic seconds (its replication window starts here).
        var addedAt: Double

        /// What Graph shows of it: everything but the secret, and its first three characters as `hint`.
        var json: JSONValue {
            [
                "customKeyIdentifier": .null, "displayName": displayName.isEmpty ? .null : .string(displayName),
                "endDateTime": .string(GraphTime.format(end)), "hint": .string(String(secret.prefix(3))), "keyId": .string(keyID),
                "secretText": .null, "startDateTime": .string(GraphTime.format(start)),
            ]
        }
    }

    /// One certificate credential (`keyCredentials`): its public key checks client assertions and
    /// the proofs of possession of `addKey` and `removeKey`.
    struct Certificate: Sendable {
        /// Graph's `keyId`.
        var keyID: String
        /// Graph's `displayName`.
        var displayName: String
        /// The certificate's public key.
        var publicKey: _RSA.Signing.PublicKey
        /// base64url SHA-1 and SHA-256 of the certificate DER (`x5t`, `x5t#S256`).
        var thumbprintSHA1: String
        var thumbprintSHA256: String
        /// `startDateTime` and `endDateTime`: the certificate's validity.
        var start: Date
        var end: Date
        /// When it was added, in the emulator's monotonic seconds.
        var addedAt: Double

        /// What Graph shows of it (`customKeyIdentifier` is the SHA-1 thumbprint in hex).
        var json: JSONValue {
            let hex = (EmulatorState.base64URLDecode(thumbprintSHA1) ?? []).map { byte in
                let digits = String(byte, radix: 16, uppercase: true)
                return digits.count == 1 ? "0" + digits : digits
            }.joined()
            return [
                "customKeyIdentifier": .string(hex), "displayName": displayName.isEmpty ? .null : .string(displayName),
                "endDateTime": .string(GraphTime.format(end)), "key": .null, "keyId": .string(keyID),
                "startDateTime": .string(GraphTime.format(start)), "type": "AsymmetricX509Cert", "usage": "Verify",
            ]
        }

        /// Whether `header` (`x5t` or `x5t#S256`, padded or not) names this certificate.
        func isNamed(by header: JSONValue) -> Bool {
            let unpadded = { (value: JSONValue?) in value?.string.map { String($0.prefix { $0 != "=" }) } }
            return unpadded(header["x5t"]) == thumbprintSHA1 || unpadded(header["x5t#S256"]) == thumbprintSHA256
        }
    }

    /// The object id (`id`).
    let objectID: String
    /// The application (client) id (`appId`).
    let appID: String
    /// `displayName`.
    var displayName: String
    /// `signInAudience`: `AzureADMyOrg`, or `AzureADandPersonalMicrosoftAccount`, which allows two passwords.
    var signInAudience: String
    /// The client ids of the service principals that own it (`Application.ReadWrite.OwnedBy` acts on these).
    var owners: Set<String>
    /// The longest password lifetime the tenant's app-management policy allows, if it sets one.
    var maxPasswordLifetime: Duration?
    /// Its password credentials.
    var passwords: [Password] = []
    /// Its certificate credentials.
    var certificates: [Certificate] = []

    /// How many passwords an application of its audience may hold; `nil`: no limit the emulator enforces.
    var passwordLimit: Int? { signInAudience.contains("Personal") ? 2 : nil }

    /// The application as `GET /applications/{id}` answers it, with only the `select`ed properties
    /// when a `$select` was given (Graph always adds `id`).
    func json(select: Set<String>?) -> JSONValue {
        let all: [String: JSONValue] = [
            "id": .string(objectID), "appId": .string(appID), "displayName": .string(displayName),
            "signInAudience": .string(signInAudience), "passwordCredentials": .array(passwords.map(\.json)),
            "keyCredentials": .array(certificates.map(\.json)),
        ]
        guard let select else { return .object(all) }
        return .object(all.filter { $0.key == "id" || select.contains($0.key) })
    }
}

/// Graph's date-times: ISO 8601 in UTC with a `Z`.
enum GraphTime {
    /// `date` as Graph writes it.
    static func format(_ date: Date) -> String { date.formatted(.iso8601) }

    /// Reads a Graph date-time (whole or fractional seconds, `Z` or an offset).
    static func parse(_ text: String) -> Date? {
        if let date = try? Date(text, strategy: .iso8601) { return date }
        return try? Date(text, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true))
    }
}
