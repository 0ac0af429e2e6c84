/// Which endpoints keyrotd may talk to: TLS everywhere, plain HTTP only to a loopback emulator.
public enum EndpointPolicy {
    /// Whether `host` names this machine's loopback interface.
    public static func isLoopback(host: String) -> Bool {
        var h = host.lowercased()
        if h.hasPrefix("[") && h.hasSuffix("]") { h = String(h.dropFirst().dropLast()) }
        if h == "localhost" || h == "::1" { return true }
        let octets = h.split(separator: ".", omittingEmptySubsequences: false)
        return octets.count == 4 && octets[0] == "127" && octets.allSatisfy { UInt8($0) != nil }
    }

    /// Whether a request with `scheme` to `host` is allowed.
    public static func allows(scheme: String, host: String) -> Bool {
        switch scheme.lowercased() {
        case "https": return true
        case "http": return isLoopback(host: host)
        default: return false
        }
    }
}
