import AsyncHTTPClient
import FoundationEssentials
import NIOCore
import NIOSSL

/// A request that got no HTTP answer: refused, reset, timed out, or a TLS failure.
public struct TransportError: Error, Sendable, CustomStringConvertible {
    /// What kind of failure.
    public enum Kind: String, Sendable {
        /// The connection failed, was reset or closed early: worth retrying.
        case connection
        /// No answer in time: worth retrying.
        case timeout
        /// TLS verification failed: a configuration problem, not retried.
        case tls
        /// keyrotd refused to send (policy): not retried.
        case refused
    }

    /// The kind of failure.
    public var kind: Kind
    /// The URL (no secrets are ever in URLs keyrotd builds).
    public var url: URL
    /// A short description of the cause.
    public var detail: String

    /// Creates an error.
    public init(kind: Kind, url: URL, detail: String) {
        self.kind = kind
        self.url = url
        self.detail = detail
    }

    /// Whether retrying may help.
    public var isRetryable: Bool { kind == .connection || kind == .timeout }

    public var description: String {
        let hint: String
        switch kind {
        case .tls where detail.contains("system trust store"): hint = ""
        case .tls: hint = " (check the server certificate, the system trust store and tls_ca_file)"
        case .refused: hint = ""
        case .connection where detail.contains("Operation not permitted"):
            hint =
                " (the connection was blocked locally, e.g. by an IPAddressDeny= drop-in such as proxy-only-egress.conf: set HTTPS_PROXY or allow this address; docs/configuration.md, \"Network egress and proxies\")"
        case .connection, .timeout: hint = ""
        }
        return "\(kind.rawValue) error talking to \(url.scheme ?? "")://\(url.host ?? "")\(url.port.map { ":\($0)" } ?? ""): \(detail)\(hint)"
    }

    /// Maps an AsyncHTTPClient or NIOSSL error to a ``TransportError``.
    static func classify(_ error: any Error, url: URL) -> TransportError {
        if let e = error as? HTTPClientError {
            switch e {
            case .proxyAuthenticationRequired:
                return TransportError(
                    kind: .refused,
                    url: url,
                    detail: "the HTTPS proxy demands credentials (407): give user:password in HTTPS_PROXY, or check them"
                )
            case .invalidProxyResponse, .httpProxyHandshakeTimeout:
                return TransportError(
                    kind: .connection,
                    url: url,
                    detail: "the HTTPS proxy did not open a tunnel (\(e)); check HTTPS_PROXY and NO_PROXY"
                )
            case .readTimeout, .writeTimeout, .connectTimeout, .deadlineExceeded, .tlsHandshakeTimeout,
                .getConnectionFromPoolTimeout:
                return TransportError(kind: .timeout, url: url, detail: "\(e)")
            default:
                return TransportError(kind: .connection, url: url, detail: "\(e)")
            }
        }
        if let missingRoots = SystemTrustStore.explain(error) {
            return TransportError(kind: .tls, url: url, detail: missingRoots)
        }
        if error is NIOSSLError || String(describing: type(of: error)).contains("BoringSSL") {
            return TransportError(kind: .tls, url: url, detail: "\(error)")
        }
        return TransportError(kind: .connection, url: url, detail: "\(error)")
    }
}
