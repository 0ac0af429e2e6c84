/// Entra ID refused or failed a token request.
public struct EntraError: Error, Sendable, CustomStringConvertible {
    /// The HTTP status (0 when the response could not be read).
    public var status: Int
    /// The OAuth `error` (`invalid_client`, `unauthorized_client` …).
    public var error: String
    /// The first line of `error_description` (it starts with the `AADSTS…` code).
    public var errorDescription: String
    /// Entra's `trace_id`, for a support request.
    public var traceID: String?
    /// The tenant asked.
    public var tenant: String
    /// The client id that asked.
    public var clientID: String
    /// How the client proved itself: "client secret", "certificate" or "federated token".
    public var proof: String = "client secret"

    public var description: String {
        var text = "Entra ID token request for client \(clientID) in tenant \(tenant) failed: HTTP \(status) \(error)"
        if !errorDescription.isEmpty { text += ": \(errorDescription)" }
        if let traceID { text += " (trace id \(traceID))" }
        switch error {
        case "invalid_client" where proof == "client secret": text += "; check the client secret file and the client id"
        case "invalid_client" where proof == "certificate":
            text += "; check that this certificate is uploaded to the app registration, the key matches it, and the clock is right"
        case "invalid_client": text += "; check the app's federated identity credential (issuer, subject, audience) and the token file"
        case "unauthorized_client": text += "; the application is not known in this tenant"
        case "invalid_request" where errorDescription.contains("AADSTS90002"): text += "; check the tenant id"
        default: break
        }
        return text
    }
}
