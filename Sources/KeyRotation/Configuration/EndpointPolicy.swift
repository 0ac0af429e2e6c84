/// Which endpoints keyrotd may talk to: TLS everywhere, plain HTTP only to a loopback emulator
/// and, for managed identity alone, to the link-local metadata endpoints Azure serves without TLS.
public enum EndpointPolicy {
    /// Whether `host` names this machine's loopback interface.
    public static func isLoopback(host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h == "::1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether `host` is an IPv4 link-local address (169.254.0.0/16), where IMDS and App Service's
    /// identity endpoint listen.
    public static func isLinkLocal(host: String) -> Bool {
        let octets = host.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "169" && octets[1] == "254" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether a request with `scheme` to `host` is allowed; `metadata` admits plain HTTP to link-local
    /// addresses (managed identity endpoints only).
    public static func allows(scheme: String, host: String, metadata: Bool = false) -> Bool {
        switch scheme.lowercased() {
        case "https": return true
        case "http": return isLoopback(host: host) || (metadata && isLinkLocal(host: host))
        default: return false
        }
    }
}
