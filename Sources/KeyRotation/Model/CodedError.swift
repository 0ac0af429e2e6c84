/// An error with a stable code an operator can search for and a monitoring system can match:
/// ARM's or Key Vault's `error.code`, or a keyrotd code for failures of its own. The record keeps
/// the code of a step's last failure beside its message.
public protocol CodedError: Error {
    /// The code (`AuthorizationFailed`, `ResourceNotFound`, `confirmation-overdue` …).
    var code: String { get }
}
