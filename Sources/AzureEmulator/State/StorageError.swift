/// A request Blob Storage refuses, as it answers: the status and the error code it puts in
/// `x-ms-error-code` and the XML error body (`LeaseAlreadyPresent`, `ConditionNotMet` …).
struct StorageError: Error, Sendable, Equatable {
    /// 304, 400, 404, 409, 412, 416 …
    var status: Int
    /// Azure's error code.
    var code: String

    /// A refusal with `code`.
    init(status: Int, code: String) {
        self.status = status
        self.code = code
    }

    /// An injected failure with `status`, under the code Azure gives it (500 `InternalError`,
    /// 503 `ServerBusy`, 403 `AuthorizationFailure`).
    init(injected status: Int) {
        self.init(status: status, code: [403: "AuthorizationFailure", 503: "ServerBusy"][status] ?? "InternalError")
    }

    /// The first line of the error body's `<Message>`, in Azure's words.
    var message: String {
        Self.messages[code] ?? "The request could not be served (\(code))."
    }

    private static let messages = [
        "AuthenticationFailed":
            "Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.",
        "AuthorizationFailure": "This request is not authorized to perform this operation.",
        "AuthorizationPermissionMismatch": "This request is not authorized to perform this operation using this permission.",
        "BlobAlreadyExists": "The specified blob already exists.",
        "BlobNotFound": "The specified blob does not exist.",
        "ConditionNotMet": "The condition specified using HTTP conditional header(s) is not met.",
        "ContainerAlreadyExists": "The specified container already exists.",
        "ContainerNotFound": "The specified container does not exist.",
        "InternalError": "The server encountered an internal error. Please retry the request.",
        "InvalidAuthenticationInfo": "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
        "InvalidHeaderValue": "The value for one of the HTTP headers is not in the correct format.",
        "InvalidQueryParameterValue": "Value for one of the query parameters specified in the request URI is invalid.",
        "InvalidRange": "The range specified is invalid for the current size of the resource.",
        "InvalidResourceName": "The specifed resource name contains invalid characters.",
        "LeaseAlreadyPresent": "There is already a lease present.",
        "LeaseIdMismatchWithBlobOperation": "The lease ID specified did not match the lease ID for the blob.",
        "LeaseIdMismatchWithLeaseOperation": "The lease ID specified did not match the lease ID for the blob.",
        "LeaseIdMissing": "There is currently a lease on the blob and no lease ID was specified in the request.",
        "LeaseIsBreakingAndCannotBeAcquired":
            "The lease ID matched, but the lease is currently in breaking state and cannot be acquired until it is broken.",
        "LeaseIsBreakingAndCannotBeChanged": "The lease ID matched, but the lease is currently in breaking state and cannot be changed.",
        "LeaseIsBrokenAndCannotBeRenewed": "The lease ID matched, but the lease has been broken explicitly and cannot be renewed.",
        "LeaseNotPresentWithBlobOperation": "There is currently no lease on the blob.",
        "LeaseNotPresentWithLeaseOperation": "There is currently no lease on the blob.",
        "MissingRequiredHeader": "An HTTP header that's mandatory for this request is not specified.",
        "NoAuthenticationInformation": "Server failed to authenticate the request. Please refer to the information in the www-authenticate header.",
        "RequestBodyTooLarge": "The request body is too large and exceeds the maximum permissible limit.",
        "ServerBusy": "The server is currently unable to receive requests. Please retry your request.",
        "UnsupportedHeader": "One of the headers specified in the request is not supported.",
        "UnsupportedHttpVerb": "The resource doesn't support specified Http Verb.",
    ]
}
