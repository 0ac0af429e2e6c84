import FoundationEssentials
import KeyRotation

/// The HTTPS proxy the environment names (`HTTPS_PROXY`/`https_proxy`) and the hosts that bypass it
/// (`NO_PROXY`/`no_proxy`), read the way curl and the Azure SDKs read them. AsyncHTTPClient does not
/// read these variables itself. Loopback and link-local hosts always bypass the proxy: the emulator
/// and the managed identity endpoints must never be reached through one.
public struct ProxyConfiguration: Sendable, Equatable {
    /// The proxy host.
    public var host: String
    /// The proxy port.
    public var port: Int
    /// `user:password` for Basic proxy authentication (never logged).
    public var credentials: Secret?
    /// `NO_PROXY` entries, lower-cased: host names, `.suffix`es, IPv4 addresses or CIDR ranges, or `*`.
    public var bypass: [String]

    /// Creates a configuration.
    public init(host: String, port: Int, credentials: Secret? = nil, bypass: [String] = []) {
        self.host = host
        self.port = port
        self.credentials = credentials
        self.bypass = bypass
    }

    /// The proxy in `environment`, `nil` when none is set; throws when the variable is malformed.
    public init?(environment: [String: String]) throws {
        let first = { (names: [String]) in names.lazy.compactMap { environment[$0] }.first { !$0.isEmpty } }
        guard let raw = first(["https_proxy", "HTTPS_PROXY"]) else { return nil }
        let text = raw.contains("://") ? raw : "http://" + raw
        guard let url = URLComponents(string: text), let host = url.host, !host.isEmpty else {
            throw ProxyConfigurationError(detail: "HTTPS_PROXY is not a URL (expected http://host:port)")
        }
        guard url.scheme?.lowercased() == "http" else {
            throw ProxyConfigurationError(detail: "HTTPS_PROXY must use http:// (the tunnel to Azure is TLS inside CONNECT)")
        }
        self.host = host
        self.port = url.port ?? 80
        if let user = url.user, !user.isEmpty {
            self.credentials = Secret(user + ":" + (url.password ?? ""))
        } else {
            self.credentials = nil
        }
        self.bypass = (first(["no_proxy", "NO_PROXY"]) ?? "").split(separator: ",").map { $0.trimmingWhitespace().lowercased() }
            .filter { !$0.isEmpty }
    }

    /// `host:port` for the journal (without credentials).
    public var summary: String { "\(host):\(port)" + (credentials == nil ? "" : " (with credentials)") }

    /// Whether a request to `host` goes through the proxy.
    public func proxies(host rawHost: String) -> Bool {
        var host = rawHost.lowercased()
        if host.hasPrefix("[") && host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        if EndpointPolicy.isLoopback(host: host) || EndpointPolicy.isLinkLocal(host: host) { return false }
        for entry in bypass {
            if entry == "*" { return false }
            var pattern = entry
            if let colon = pattern.lastIndex(of: ":"), !pattern.contains("]"), pattern.filter({ $0 == ":" }).count == 1 {
                pattern = String(pattern[..<colon])  // "host:port" entries match the host
            }
            if pattern.contains("/") {
                if Self.ipv4(host: host, inCIDR: pattern) { return false }
                continue
            }
            if pattern.hasPrefix("*.") { pattern.removeFirst() }
            if pattern.hasPrefix(".") {
                if host.hasSuffix(pattern) || host == pattern.dropFirst() { return false }
            } else if host == pattern || host.hasSuffix("." + pattern) {
                return false
            }
        }
        return true
    }

    private static func ipv4(host: String, inCIDR cidr: String) -> Bool {
        let parts = cidr.split(separator: "/")
        guard parts.count == 2, let bits = Int(parts[1]), (0...32).contains(bits),
            let network = ipv4Value(String(parts[0])), let address = ipv4Value(host)
        else { return false }
        let mask: UInt32 = bits == 0 ? 0 : ~UInt32(0) << (32 - UInt32(bits))
        return network & mask == address & mask
    }

    private static func ipv4Value(_ text: String) -> UInt32? {
        let octets = text.split(separator: ".", omittingEmptySubsequences: false).compactMap { UInt8($0) }
        guard octets.count == 4 else { return nil }
        return octets.reduce(0) { $0 << 8 | UInt32($1) }
    }
}

/// `HTTPS_PROXY` or `NO_PROXY` cannot be used.
public struct ProxyConfigurationError: Error, Sendable, CustomStringConvertible {
    /// What is wrong (never the proxy password).
    public var detail: String

    public var description: String { "proxy configuration: \(detail)" }
}
