/// A garbage or hostile value the emulator's ARM puts into a key answer (`--inject-values`), as a
/// broken gateway, a tampering proxy or a bug at Azure could: keyrotd must refuse each of them and
/// publish nothing.
public enum HostileValue: String, Sendable, CaseIterable {
    /// `KEY\nEVIL=1` in a key and its connection string: a second variable in an `env` file.
    case newline
    /// An escape character inside the key.
    case control
    /// A key that is a JSON number instead of a string.
    case type
    /// A key of 2 MiB, making the body larger than any client should buffer.
    case huge
    /// `200 OK` with an HTML page (a captive portal, a proxy's error page).
    case html
    /// A connection string whose `accesskey` is not the answer's key.
    case mismatch
    /// A connection string whose endpoint is another host.
    case endpoint
    /// A JSON object without any key.
    case missing

    /// The answer to send instead of `keys` (the well-formed `listKeys`/`regenerateKey` body).
    func answer(replacing keys: [String: String], headers: [(String, String)]) -> EmulatorResponse {
        var body = keys.mapValues(JSONValue.string)
        // The first slot the answer holds gets the hostile value (a half answer has only one).
        let slot = keys["primaryKey"] != nil ? "primary" : "secondary"
        let key = keys["\(slot)Key"] ?? ""
        let connectionString = keys["\(slot)ConnectionString"] ?? ""
        switch self {
        case .newline:
            body["\(slot)Key"] = .string(key + "\nEVIL=1")
            body["\(slot)ConnectionString"] = .string(connectionString + "\nEVIL=1")
        case .control:
            body["\(slot)Key"] = .string(String(key.prefix(8)) + "\u{1B}[2J" + key.dropFirst(8))
        case .type:
            body["\(slot)Key"] = .int(4242)
        case .huge:
            body["\(slot)Key"] = .string(String(repeating: "A", count: 2 << 20))
        case .html:
            return .respond(
                status: 200,
                headers: [("Content-Type", "text/html")] + headers,
                body: Array("<html><head><title>Gateway</title></head><body>Please sign in.</body></html>".utf8)
            )
        case .mismatch:
            let other = String(key.reversed())
            body["\(slot)ConnectionString"] = .string(connectionString.replacing("accesskey=" + key, with: "accesskey=" + other))
        case .endpoint:
            let endpointEnd = connectionString.firstRange(of: ";")?.lowerBound ?? connectionString.endIndex
            body["\(slot)ConnectionString"] = .string("endpoint=https://keys.attacker.example/" + connectionString[endpointEnd...])
        case .missing:
            body = [:]
        }
        return EmulatorRoutes.json(200, JSONValue.object(body), headers: headers)
    }
}
