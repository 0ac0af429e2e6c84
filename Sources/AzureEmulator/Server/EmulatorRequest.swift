/// A whole HTTP request as the emulator's routes see it.
struct EmulatorRequest: Sendable {
    /// The HTTP method.
    var method: String
    /// The path, percent-decoded segments not applied (ARM paths are plain ASCII).
    var path: String
    /// Query parameters (first value wins), names lower-cased.
    var query: [String: String]
    /// The raw query string.
    var rawQuery: String?
    /// Headers, names lower-cased.
    var headers: [String: String]
    /// The body bytes.
    var body: [UInt8]

    /// Splits `uri` into path and query and lower-cases header names.
    init(method: String, uri: String, headers: [(String, String)], body: [UInt8]) {
        self.method = method
        let parts = uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
        self.path = String(parts.first ?? "/")
        self.rawQuery = parts.count > 1 ? String(parts[1]) : nil
        var query: [String: String] = [:]
        for pair in (rawQuery ?? "").split(separator: "&") {
            let kv = pair.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = String(kv[0]).lowercased().removingPercentEncoding ?? String(kv[0]).lowercased()
            if query[name] == nil {
                query[name] = kv.count > 1 ? (String(kv[1]).replacingOccurrences(of: "+", with: " ").removingPercentEncoding ?? "") : ""
            }
        }
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers where lowered[name.lowercased()] == nil { lowered[name.lowercased()] = value }
        self.headers = lowered
        self.body = body
    }

    /// The path split into segments.
    var segments: [String] { path.split(separator: "/").map(String.init) }
}

/// What to do with a request.
enum EmulatorResponse: Sendable {
    /// Answer with status, headers and body.
    case respond(status: Int, headers: [(String, String)], body: [UInt8])
    /// Reset the connection without answering.
    case reset
    /// Never answer (the client times out).
    case hang
}
