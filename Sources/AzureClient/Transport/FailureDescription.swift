/// How an Azure service's refusal reads in the journal, the same for every service: what failed,
/// the status and the service's code, its message, the request id Azure support asks for, and
/// the advice where one is clear.
enum FailureDescription {
    /// `"{what} failed: HTTP {status} {code}: {message} (request id …); {advice}"`.
    static func compose(_ what: String, status: Int, code: String, message: String, requestID: String?, advice: String?) -> String {
        var text = "\(what) failed: HTTP \(status) \(code)"
        if !message.isEmpty { text += ": \(message)" }
        text += " (request id \(requestID ?? "none"))"
        if let advice { text += "; \(advice)" }
        return text
    }
}
