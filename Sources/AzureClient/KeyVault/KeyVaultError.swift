import FoundationEssentials
import KeyRotation

/// Key Vault answered an operation with an error, or with something keyrotd cannot use.
///
/// The description names the operation, the vault and secret, the HTTP status, Key Vault's error
/// code and message and the request id, and what to do for the codes that have a clear answer.
public struct KeyVaultError: CodedError, Sendable, CustomStringConvertible {
    /// The operation (`setSecret`, `getSecret`, `listVersions`, `updateVersion`).
    public var operation: String
    /// The vault's URL.
    public var vault: String
    /// The secret's name.
    public var secret: String
    /// The HTTP status (0: no usable answer).
    public var status: Int
    /// Key Vault's `error.code` (`Forbidden`, `SecretNotFound`, `Throttled` …) and inner code, or a
    /// keyrotd code such as `MalformedResponse` or `UnexpectedChallenge`.
    public var code: String
    /// Key Vault's `error.message`, first line, bounded.
    public var message: String
    /// `x-ms-request-id` of the answer.
    public var requestID: String?

    /// Creates an error.
    public init(operation: String, vault: String, secret: String, status: Int, code: String, message: String, requestID: String?) {
        self.operation = operation
        self.vault = vault
        self.secret = secret
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String {
        FailureDescription.compose(
            "Key Vault \(operation) of '\(secret)' in \(vault)",
            status: status,
            code: code,
            message: message,
            requestID: requestID,
            advice: advice
        )
    }

    /// What the operator should do, for the codes that have a clear answer.
    public var advice: String? {
        switch code {
        case "Forbidden/ForbiddenByRbac", "Forbidden/AccessDenied", "Forbidden":
            return "grant the identity a role on the vault's secrets (Key Vault Secrets Officer for keyrotd, read and tag for a follower)"
        case "Unauthorized":
            return "check the credential's tenant: Key Vault accepts tokens of the vault's tenant only"
        case "UnexpectedChallenge":
            return "check the vault URL: keyrotd sends tokens only to a vault that asks for a Key Vault token"
        case "Forbidden/SecretDisabled":
            return "enable the version or publish a new one"
        default:
            return nil
        }
    }
}

extension KeyVaultError {
    /// The error an unsuccessful answer stands for: `code/innercode`, the first line of the message.
    init(_ operation: String, vault: String, secret: String, response: HTTPResponseData) {
        let body = AzureErrorBody(response.body)
        let code = body?.error?.code ?? "HTTP\(response.status)"
        let inner = body?.error?.innererror?.code.map { "/" + $0 } ?? ""
        self.init(
            operation: operation,
            vault: vault,
            secret: secret,
            status: response.status,
            code: code + inner,
            message: body?.message ?? "",
            requestID: response.header("x-ms-request-id")
        )
    }
}
