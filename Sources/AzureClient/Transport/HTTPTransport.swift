import FoundationEssentials

/// An HTTP request as the Azure clients build it.
public struct HTTPRequestData: Sendable {
    /// `GET`, `POST` …
    public var method: String
    /// The absolute URL.
    public var url: URL
    /// Header name/value pairs.
    public var headers: [(String, String)]
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a request.
    public init(method: String, url: URL, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
    }
}

/// An HTTP response: status, headers and the whole body.
public struct HTTPResponseData: Sendable {
    /// The status code.
    public var status: Int
    /// Header name/value pairs.
    public var headers: [(String, String)]
    /// The body bytes.
    public var body: [UInt8]

    /// Creates a response.
    public init(status: Int, headers: [(String, String)] = [], body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// The first value of header `name` (case-insensitive).
    public func header(_ name: String) -> String? {
        let lower = name.lowercased()
        return headers.first { $0.0.lowercased() == lower }?.1
    }
}

/// Sends HTTP requests; the seam tests replace to script answers and failures.
public protocol HTTPTransport: Sendable {
    /// Sends `request` and returns the whole response, or throws a transport error.
    func send(_ request: HTTPRequestData, timeout: Duration) async throws -> HTTPResponseData
}
