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
            let name = Self.formDecode(kv[0]).lowercased()
            if query[name] == nil {
                query[name] = kv.count > 1 ? Self.formDecode(kv[1]) : ""
            }
        }
        self.query = query
        var lowered: [String: String] = [:]
        for (name, value) in headers where lowered[name.lowercased()] == nil { lowered[name.lowercased()] = value }
        self.headers = lowered
        self.body = body
    }

    /// Decodes a query or form field: `+` is a space, `%XX` a byte; a malformed escape stays as it is.
    static func formDecode(_ text: Substring) -> String {
        var bytes: [UInt8] = []
        var rest = text.utf8[...]
        while let byte = rest.popFirst() {
            if byte == UInt8(ascii: "%"), rest.count >= 2, let value = UInt8(String(decoding: rest.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(value)
                rest = rest.dropFirst(2)
            } else {
                bytes.append(byte == UInt8(ascii: "+") ? UInt8(ascii: " ") : byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Decodes a path segment: `%XX` is a byte (a `+` stays a plus); a malformed escape stays as it is.
    static func percentDecode(_ text: String) -> String {
        formDecode(Substring(text.replacing("+", with: "%2B")))
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
