import FoundationEssentials
import KeyRotation

/// The JSON token answer shared by Entra ID and the managed identity endpoints, which send the
/// numbers as strings (`"expires_in": "86399"`).
struct TokenResponse: Decodable {
    var access_token: String
    var expires_in: FlexibleNumber?
    var expires_on: FlexibleNumber?

    /// Decodes `body` into a token obtained at `obtainedAt`; `expires_on` wins over `expires_in`
    /// as in azure-identity. `nil` when the body is not a usable token answer.
    static func decode(_ body: [UInt8], obtainedAt: Date) -> AccessToken? {
        guard let response = try? JSONDecoder().decode(TokenResponse.self, from: Data(body)), !response.access_token.isEmpty else {
            return nil
        }
        let expiresOn: Date
        if let on = response.expires_on?.value {
            expiresOn = Date(timeIntervalSince1970: on)
        } else {
            expiresOn = obtainedAt.addingTimeInterval(response.expires_in?.value ?? 3600)
        }
        return AccessToken(token: Secret(response.access_token), expiresOn: expiresOn, obtainedAt: obtainedAt)
    }
}

/// The `{error, error_description}` body of an OAuth error.
struct OAuthErrorBody: Decodable {
    var error: String?
    var error_description: String?
    var trace_id: String?

    /// The body's first description line, bounded, or `nil`.
    static func decode(_ body: [UInt8]) -> OAuthErrorBody? {
        guard var decoded = try? JSONDecoder().decode(OAuthErrorBody.self, from: Data(body)) else { return nil }
        let first = decoded.error_description?.split(whereSeparator: \.isNewline).first.map(String.init) ?? ""
        decoded.error_description = String(first.prefix(300))
        return decoded
    }
}

/// A JSON number that some token endpoints send as a string (`"expires_in": "3599"`).
struct FlexibleNumber: Decodable {
    /// The number.
    var value: Double

    /// Decodes a number or a numeric string.
    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if let d = try? container.decode(Double.self) {
            value = d
        } else if let s = try? container.decode(String.self), let d = Double(s) {
            value = d
        } else {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: "expected a number")
        }
    }
}
