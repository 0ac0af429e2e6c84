import Crypto
import FoundationEssentials
import KeyRotation

/// A minimal ACS data-plane client that authenticates with an access key the way the official ACS
/// SDKs do (HMAC-SHA256 over verb, path, date, host and content hash). keyrotd's demo uses it to
/// show a published connection string works; tests use it as a consumer.
public struct ACSDataPlaneClient: Sendable {
    private let transport: any HTTPTransport

    /// Creates the client.
    public init(transport: any HTTPTransport) {
        self.transport = transport
    }

    /// The outcome of one authenticated call: the verdict every data plane gives.
    public typealias Outcome = DataPlaneClient.Outcome

    /// Creates an ACS identity (`POST {endpoint}/identities?api-version=2023-10-01`) with the key in
    /// `connectionString`: a cheap call that succeeds only while the key is valid.
    public func createIdentity(connectionString: Secret, now: Date = Date()) async -> Outcome {
        await call("POST", "identities?api-version=2023-10-01", body: Array("{}".utf8), connectionString: connectionString, now: now)
    }

    /// Lists the resource's purchased phone numbers (`GET {endpoint}/phoneNumbers?api-version=2022-12-01`)
    /// with the key in `connectionString`: read-only, changes nothing, and succeeds only while the key works.
    public func listPhoneNumbers(connectionString: Secret, now: Date = Date()) async -> Outcome {
        await call("GET", "phoneNumbers?api-version=2022-12-01", body: [], connectionString: connectionString, now: now)
    }

    private func call(_ method: String, _ pathAndQuery: String, body: [UInt8], connectionString: Secret, now: Date) async -> Outcome {
        guard let parsed = Self.parse(connectionString) else { return .failed("not a connection string") }
        var endpoint = parsed.endpoint
        if !endpoint.hasSuffix("/") { endpoint += "/" }
        guard let url = URL(string: endpoint + pathAndQuery) else { return .failed("bad endpoint") }
        var headers = Self.sign(method: method, url: url, endpoint: parsed.endpoint, body: body, key: parsed.key, now: now)
        if !body.isEmpty { headers.append(("Content-Type", "application/json")) }
        do {
            let response = try await transport.send(HTTPRequestData(method: method, url: url, headers: headers, body: body), timeout: .seconds(10))
            switch response.status {
            case 200..<300: return .accepted
            case 401, 403: return .denied(status: response.status)
            default: return .failed("HTTP \(response.status)")
            }
        } catch {
            return .failed("\(error)")
        }
    }

    /// The `x-ms-date`, `x-ms-content-sha256` and `Authorization` headers for a request.
    public static func sign(method: String, url: URL, endpoint: String, body: [UInt8], key: Secret, now: Date) -> [(String, String)] {
        let date = DataPlaneSignature.httpDate(now)
        let contentHash = Data(SHA256.hash(data: body)).base64EncodedString()
        var host = endpoint
        for scheme in ["https://", "http://"] where host.lowercased().hasPrefix(scheme) { host = String(host.dropFirst(scheme.count)) }
        while host.hasSuffix("/") { host.removeLast() }
        var pathAndQuery = url.path(percentEncoded: true)
        if let query = url.query(percentEncoded: true) { pathAndQuery += "?" + query }
        let stringToSign = "\(method.uppercased())\n\(pathAndQuery)\n\(date);\(host);\(contentHash)"
        let keyBytes = Data(base64Encoded: key.exposedValue) ?? Data()
        let mac = HMAC<SHA256>.authenticationCode(for: Data(stringToSign.utf8), using: SymmetricKey(data: keyBytes))
        let signature = Data(mac).base64EncodedString()
        return [
            ("x-ms-date", date), ("x-ms-content-sha256", contentHash),
            ("Authorization", "HMAC-SHA256 SignedHeaders=x-ms-date;host;x-ms-content-sha256&Signature=\(signature)"),
        ]
    }

    /// Splits `endpoint=…;accesskey=…`.
    public static func parse(_ connectionString: Secret) -> (endpoint: String, key: Secret)? {
        guard let fields = try? ConnectionString(parsing: connectionString.exposedValue.trimmingWhitespace()),
            let endpoint = fields["endpoint"], let key = fields["accesskey"]
        else { return nil }
        return (endpoint, Secret(key))
    }
}
