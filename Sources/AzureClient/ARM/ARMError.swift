import FoundationEssentials
import KeyRotation

/// ARM answered an operation with an error, or with a body keyrotd cannot use.
///
/// The description names the operation, the resource, the HTTP status, ARM's error code and message
/// and the request id, which is what an operator (or Azure support) needs.
public struct ARMError: CodedError, Sendable, CustomStringConvertible {
    /// The operation (`regenerateKey`, `listKeys`, `get`).
    public var operation: String
    /// The resource's name.
    public var resource: String
    /// The HTTP status.
    public var status: Int
    /// ARM's `error.code` (`ResourceNotFound`, `AuthorizationFailed` …), or a keyrotd code such as
    /// `MalformedResponse`.
    public var code: String
    /// ARM's `error.message` (trimmed).
    public var message: String
    /// `x-ms-request-id` of the answer.
    public var requestID: String?
    /// The `x-ms-client-request-id` keyrotd sent.
    public var clientRequestID: String
    /// Attempts made, retries included.
    public var attempts: Int

    /// Creates an error.
    public init(
        operation: String,
        resource: String,
        status: Int,
        code: String,
        message: String,
        requestID: String?,
        clientRequestID: String,
        attempts: Int
    ) {
        self.operation = operation
        self.resource = resource
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
        self.clientRequestID = clientRequestID
        self.attempts = attempts
    }

    public var description: String {
        var text = "ARM \(operation) on '\(resource)' failed: HTTP \(status) \(code)"
        if !message.isEmpty { text += ": \(message)" }
        text += " (request id \(requestID ?? "none"), client request id \(clientRequestID)"
        if attempts > 1 { text += ", after \(attempts) attempts" }
        text += ")"
        if let advice { text += "; \(advice)" }
        return text
    }

    /// What the operator should do, for the codes that have a clear answer.
    public var advice: String? {
        switch code {
        case "AuthorizationFailed":
            return "grant the identity the listKeys/regenerateKey actions on this resource (e.g. the Contributor role)"
        case "ResourceNotFound", "ResourceGroupNotFound", "SubscriptionNotFound":
            return "check the resource id in the configuration"
        case "InvalidAuthenticationToken", "InvalidAuthenticationTokenTenant", "AuthenticationFailed":
            return "check the credential's tenant, scope and arm_endpoint"
        case "MissingApiVersionParameter", "InvalidApiVersionParameter", "NoRegisteredProviderFound":
            return "check api_version"
        case "InvalidKeyValue", "MalformedResponse":
            return
                "keyrotd retries with backoff; if this persists, something between keyrotd and ARM (a proxy, a TLS-inspecting firewall) alters answers, or ARM misbehaves: give Azure support the request id"
        case "MissingSubscriptionRegistration":
            return "register the resource provider the message names in the subscription (az provider register)"
        default:
            return nil
        }
    }
}

extension ARMError {
    /// The error an answer that is not a success stands for: ARM's code and the first line of its
    /// message (bounded), or `HTTP<status>` when the body is no `ErrorResponse`.
    init(_ operation: String, resource: String, response: HTTPResponseData, clientRequestID: String, attempts: Int) {
        let body = AzureErrorBody(response.body)
        self.init(
            operation: operation,
            resource: resource,
            status: response.status,
            code: Self.code(of: response, body: body),
            message: body?.message ?? "",
            requestID: response.header("x-ms-request-id"),
            clientRequestID: clientRequestID,
            attempts: attempts
        )
    }

    /// ARM's error code in `response`, or `TooManyRequests` / `HTTP<status>` when the body names none.
    static func code(of response: HTTPResponseData, body: AzureErrorBody? = nil) -> String {
        (body ?? AzureErrorBody(response.body))?.error?.code ?? (response.status == 429 ? "TooManyRequests" : "HTTP\(response.status)")
    }
}
