import Crypto
import FoundationEssentials

/// The ways Azure's data planes authenticate a key, as the official SDKs compute them.
public enum DataPlaneSignature {
    /// An RFC 1123 date in GMT (`Tue, 01 Dec 2026 10:00:00 GMT`), as `x-ms-date` carries it.
    public static func httpDate(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = .gmt
        let c = calendar.dateComponents([.year, .month, .day, .hour, .minute, .second, .weekday], from: date)
        let days = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
        let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
        func two(_ n: Int?) -> String { let v = n ?? 0; return v < 10 ? "0\(v)" : "\(v)" }
        return
            "\(days[(c.weekday ?? 1) - 1]), \(two(c.day)) \(months[(c.month ?? 1) - 1]) \(c.year ?? 1970) \(two(c.hour)):\(two(c.minute)):\(two(c.second)) GMT"
    }

    /// RFC 3986 percent-encoding of everything but the unreserved characters (as in a form).
    public static func encoded(_ text: String) -> String { EntraTokenEndpoint.formEncode(text) }

    private static func hmac(_ message: String, key: some DataProtocol) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(message.utf8), using: SymmetricKey(data: Data(key)))).base64EncodedString()
    }

    /// The Service Bus family's `SharedAccessSignature sr=…&sig=…&se=…&skn=…`: HMAC-SHA256 with the
    /// key's UTF-8 bytes (not base64-decoded) over the encoded resource URI and the expiry.
    public static func sharedAccessSignature(resource: String, keyName: String, key: String, expiry: Date) -> String {
        let uri = encoded(resource.lowercased())
        let seconds = String(Int(expiry.timeIntervalSince1970))
        let signature = hmac(uri + "\n" + seconds, key: Array(key.utf8))
        return "SharedAccessSignature sr=\(uri)&sig=\(encoded(signature))&se=\(seconds)&skn=\(encoded(keyName))"
    }

    /// App Configuration's `HMAC-SHA256 Credential=ID&SignedHeaders=…&Signature=…` with its headers.
    public static func appConfiguration(url: String, credential: String, secret: String, now: Date) -> [(String, String)] {
        let parsed = URL(string: url)
        let host = (parsed?.host ?? "") + (parsed?.port.map { ":\($0)" } ?? "")
        let pathAndQuery = (parsed?.path(percentEncoded: true) ?? "/") + (parsed?.query(percentEncoded: true).map { "?" + $0 } ?? "")
        let date = httpDate(now)
        let contentHash = Data(SHA256.hash(data: [UInt8]())).base64EncodedString()
        let signature = hmac("GET\n\(pathAndQuery)\n\(date);\(host);\(contentHash)", key: Data(base64Encoded: secret) ?? Data())
        return [
            ("x-ms-date", date), ("x-ms-content-sha256", contentHash),
            ("Authorization", "HMAC-SHA256 Credential=\(credential)&SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)"),
        ]
    }

    /// Cosmos DB's URL-encoded `type=master&ver=1.0&sig=…`.
    public static func cosmosMasterKey(verb: String, resourceType: String, resourceLink: String, date: String, key: String) -> String {
        let text = "\(verb.lowercased())\n\(resourceType.lowercased())\n\(resourceLink)\n\(date.lowercased())\n\n"
        return encoded("type=master&ver=1.0&sig=" + hmac(text, key: Data(base64Encoded: key) ?? Data()))
    }

    /// Storage's `SharedKey ACCOUNT:SIGNATURE` for a `GET` without a body, with its headers.
    public static func storageSharedKey(url: String, account: String, key: String, now: Date) -> [(String, String)] {
        let date = httpDate(now)
        let headers = [("x-ms-date", date), ("x-ms-version", "2023-11-03")]
        let canonicalHeaders = headers.map { "\($0.0):\($0.1)\n" }.joined()
        let text = "GET\n" + String(repeating: "\n", count: 11) + canonicalHeaders + canonicalResource(url: url, account: account)
        return headers + [("Authorization", "SharedKey \(account):\(hmac(text, key: Data(base64Encoded: key) ?? Data()))")]
    }

    /// Batch's `SharedKey ACCOUNT:SIGNATURE` for a `GET` without a body, with its `ocp-date`.
    public static func batchSharedKey(url: String, account: String, key: String, now: Date) -> [(String, String)] {
        let date = httpDate(now)
        let text = "GET\n" + String(repeating: "\n", count: 11) + "ocp-date:\(date)\n" + canonicalResource(url: url, account: account)
        return [("ocp-date", date), ("Authorization", "SharedKey \(account):\(hmac(text, key: Data(base64Encoded: key) ?? Data()))")]
    }

    /// `/ACCOUNT/PATH` and the query's parameters sorted, one `name:value` per line, names lower case.
    static func canonicalResource(url: String, account: String) -> String {
        let parsed = URL(string: url)
        var text = "/\(account)" + (parsed?.path(percentEncoded: true) ?? "/")
        let parameters = (parsed?.query(percentEncoded: false) ?? "").split(separator: "&").map { pair in
            let parts = pair.split(separator: "=", maxSplits: 1)
            return (parts[0].lowercased(), parts.count > 1 ? String(parts[1]) : "")
        }
        for (name, value) in parameters.sorted(by: { $0.0 < $1.0 }) { text += "\n\(name):\(value)" }
        return text
    }

    /// The HS256 JWT SignalR and Web PubSub clients sign with their access key.
    public static func accessToken(audience: String, key: String, expiry: Date) -> String {
        func base64URL(_ bytes: some DataProtocol) -> String {
            Data(bytes).base64EncodedString().replacing("+", with: "-").replacing("/", with: "_").replacing("=", with: "")
        }
        let header = base64URL(Array(#"{"alg":"HS256","typ":"JWT"}"#.utf8))
        let claims = base64URL(Array(#"{"aud":"\#(audience)","exp":\#(Int(expiry.timeIntervalSince1970))}"#.utf8))
        let signature = HMAC<SHA256>.authenticationCode(for: Data("\(header).\(claims)".utf8), using: SymmetricKey(data: Data(key.utf8)))
        return "\(header).\(claims).\(base64URL(Data(signature)))"
    }
}
