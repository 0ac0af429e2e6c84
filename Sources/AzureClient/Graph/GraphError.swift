import FoundationEssentials
import KeyRotation

/// Microsoft Graph answered an application call with an error, or with something keyrotd cannot use.
///
/// The description names the call, the application, the HTTP status, Graph's error code and message
/// and the request id, and what to do for the refusals an operator meets: a missing ownership, the
/// two-password limit, a tenant's credential policy.
public struct GraphError: CodedError, Sendable, CustomStringConvertible {
    /// The call (`getApplication`, `addPassword`, `removePassword`).
    public var operation: String
    /// The application as configured (its client or object id).
    public var application: String
    /// The HTTP status (0: no usable answer).
    public var status: Int
    /// Graph's `error.code` (`Authorization_RequestDenied`, `Request_ResourceNotFound` …), or a
    /// keyrotd code such as `MalformedResponse`.
    public var code: String
    /// Graph's `error.message`, first line, bounded.
    public var message: String
    /// Graph's `request-id` of the answer.
    public var requestID: String?

    /// Creates an error.
    public init(operation: String, application: String, status: Int, code: String, message: String, requestID: String?) {
        self.operation = operation
        self.application = application
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    public var description: String {
        FailureDescription.compose(
            "Microsoft Graph \(operation) of application \(application)",
            status: status,
            code: code,
            message: message,
            requestID: requestID,
            advice: advice
        )
    }

    /// Whether Graph refused a new password because the application holds as many as it may.
    public var isPasswordLimit: Bool { message.contains("You can only add a maximum of") }

    /// Whether a removal found no such password (after a removal whose answer was lost, it is done).
    public var isPasswordNotFound: Bool { status == 400 && message.contains("No password credential found") }

    /// What the operator should do, for the refusals that have a clear answer.
    public var advice: String? {
        if isPasswordLimit {
            return "the application allows two passwords only (its sign-in audience includes personal Microsoft accounts); "
                + "remove a password keyrotd did not make, or allow keyrotd to with `make_room = true` on this application"
        }
        switch code {
        case "Authorization_RequestDenied":
            return "keyrotd's service principal must own the application and hold Application.ReadWrite.OwnedBy "
                + "(reading an application it does not own needs Application.Read.All); add it under the application's Owners"
        case "CredentialInvalidLifetimeAsPerAppPolicy":
            return "the tenant's app-management policy caps a password's lifetime: set `lifetime` below that cap "
                + "(it must still exceed every + grace)"
        case "CredentialTypeNotAllowedAsPerAppPolicy":
            return "the tenant's app-management policy forbids password credentials on this application: use a certificate"
        case "Request_ResourceNotFound":
            return "check the application's client_id or object_id and that keyrotd's credential is in the application's tenant"
        case "InvalidAuthenticationToken":
            return "the token is not a Graph token: check the credential's graph_endpoint"
        default:
            return nil
        }
    }
}

extension GraphError {
    /// The error an unsuccessful answer stands for.
    init(_ operation: String, application: String, response: HTTPResponseData) {
        let body = try? JSONDecoder().decode(GraphErrorBody.self, from: Data(response.body))
        let message = (body?.error?.message ?? "").split(separator: "\n").first.map(String.init) ?? ""
        self.init(
            operation: operation,
            application: application,
            status: response.status,
            code: body?.error?.code ?? "HTTP\(response.status)",
            message: String(message.prefix(400)),
            requestID: body?.error?.innerError?.requestID ?? response.header("request-id")
        )
    }
}

/// `{"error": {"code", "message", "innerError": {"request-id", "client-request-id", "date"}}}`.
private struct GraphErrorBody: Decodable {
    struct Detail: Decodable {
        var code: String?
        var message: String?
        var innerError: Inner?
    }

    struct Inner: Decodable {
        var requestID: String?

        enum CodingKeys: String, CodingKey { case requestID = "request-id" }
    }

    var error: Detail?
}
