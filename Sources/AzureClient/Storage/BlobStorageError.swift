import FoundationEssentials
import KeyRotation

/// Blob Storage answered an operation with an error, or with something keyrotd cannot use.
///
/// The description names the operation, the blob, the HTTP status, Storage's error code
/// (`x-ms-error-code`) and message and the request id, and what to do for the codes that have a
/// clear answer. Blob bodies never appear in it.
public struct BlobStorageError: CodedError, Sendable, CustomStringConvertible {
    /// The operation (`acquireLease`, `renewLease`, `putBlob`, `getBlob` …).
    public var operation: String
    /// The blob's (or container's) URL.
    public var url: String
    /// The HTTP status (0: no usable answer).
    public var status: Int
    /// Storage's error code (`LeaseIdMismatchWithLeaseOperation`, `ConditionNotMet` …), or a keyrotd
    /// code such as `MalformedResponse`.
    public var code: String
    /// Storage's `<Message>`, first line, bounded.
    public var message: String
    /// `x-ms-request-id` of the answer.
    public var requestID: String?

    /// Creates an error.
    public init(operation: String, url: String, status: Int, code: String, message: String, requestID: String?) {
        self.operation = operation
        self.url = url
        self.status = status
        self.code = code
        self.message = message
        self.requestID = requestID
    }

    /// The error an unsuccessful answer stands for.
    init(_ operation: String, url: String, response: HTTPResponseData) {
        let text = String(decoding: response.body.prefix(4096), as: UTF8.self)
        let message = Self.element("Message", in: text)?.split(whereSeparator: \.isNewline).first.map { String($0.prefix(300)) } ?? ""
        self.init(
            operation: operation,
            url: url,
            status: response.status,
            code: response.header("x-ms-error-code") ?? Self.element("Code", in: text) ?? "HTTP\(response.status)",
            message: message,
            requestID: response.header("x-ms-request-id")
        )
    }

    /// Whether the answer says another holder has the lease or a newer writer changed the blob: a
    /// conflict on a lease action, or a refused condition or lease on a write.
    public var isConflict: Bool {
        status == 409 || status == 412
    }

    public var description: String {
        FailureDescription.compose(
            "Blob Storage \(operation) of \(url)",
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
        case "AuthorizationPermissionMismatch", "AuthorizationFailure":
            return "grant keyrotd's identity Storage Blob Data Contributor on the group's container"
        case "InvalidAuthenticationInfo", "NoAuthenticationInformation":
            return "check the credential's tenant: Storage accepts tokens of the account's tenant only"
        case "ContainerNotFound":
            return "create the container named in [ha] journal"
        case "AccountIsDisabled":
            return "enable the storage account"
        default:
            return nil
        }
    }

    /// The text of the first `<name>` element (XML entities decoded), if any.
    private static func element(_ name: String, in xml: String) -> String? {
        elements(name, in: xml).first
    }

    /// The texts of every `<name>` element, in order (XML entities decoded).
    static func elements(_ name: String, in xml: String) -> [String] {
        var found: [String] = []
        var rest = xml[...]
        while let start = rest.firstRange(of: "<\(name)>"), let end = rest[start.upperBound...].firstRange(of: "</\(name)>") {
            found.append(
                String(rest[start.upperBound..<end.lowerBound])
                    .replacing("&lt;", with: "<").replacing("&gt;", with: ">").replacing("&quot;", with: "\"").replacing("&amp;", with: "&")
            )
            rest = rest[end.upperBound...]
        }
        return found
    }
}
