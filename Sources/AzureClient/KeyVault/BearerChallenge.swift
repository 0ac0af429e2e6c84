import FoundationEssentials
import KeyRotation

/// A `WWW-Authenticate: Bearer k="v", …` challenge: what Key Vault's 401 says about where tokens
/// come from and for which scope, and a continuous access evaluation demand for claims.
public struct BearerChallenge: Sendable, Equatable {
    /// The parameters, names lower-cased.
    public var parameters: [String: String]

    /// Parses `header`; `nil` when it is no Bearer challenge.
    public init?(_ header: String?) {
        guard let header, header.lowercased().hasPrefix("bearer ") else { return nil }
        var parameters: [String: String] = [:]
        var rest = header.dropFirst(7)[...]
        while let equals = rest.firstIndex(of: "=") {
            let name = rest[..<equals].trimming { $0.isWhitespace || $0 == "," }.lowercased()
            rest = rest[rest.index(after: equals)...]
            let value: Substring
            if rest.first == "\"" {
                let body = rest.dropFirst()
                let end = body.firstIndex(of: "\"") ?? body.endIndex
                value = body[..<end]
                rest = end < body.endIndex ? body[body.index(after: end)...] : body[end...]
            } else {
                let end = rest.firstIndex(of: ",") ?? rest.endIndex
                value = rest[..<end]
                rest = rest[end...]
            }
            if !name.isEmpty { parameters[name] = value.trimmingWhitespace() }
        }
        self.parameters = parameters
    }

    /// The token scope it asks for: `scope`, or `resource` + `/.default`.
    public var scope: String? {
        if let scope = parameters["scope"], !scope.isEmpty { return scope }
        guard var resource = parameters["resource"], !resource.isEmpty else { return nil }
        while resource.hasSuffix("/") { resource.removeLast() }
        return resource + "/.default"
    }

    /// The tenant: the first path segment of `authorization` (or `authorization_uri`).
    public var tenant: String? {
        guard let uri = parameters["authorization"] ?? parameters["authorization_uri"], let url = URL(string: uri) else { return nil }
        return url.path.split(separator: "/").first.map(String.init)
    }

    /// The claims of a continuous access evaluation challenge (`error="insufficient_claims"`), decoded.
    public var claims: String? {
        guard parameters["error"] == "insufficient_claims", let encoded = parameters["claims"],
            let bytes = Base64URL.decode(encoded[...]), let json = String(bytes: bytes, encoding: .utf8)
        else { return nil }
        return json
    }
}
