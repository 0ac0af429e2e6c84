import FoundationEssentials

/// Key Vault's secrets data plane, at the emulator's own URL (`{base}/secrets/…`: the official SDK
/// parses a version's id as `https://HOST/secrets/NAME/VERSION`, so a vault cannot sit below a path):
/// what keyrotd's Key Vault outputs and followers use and what `azure-keyvault-secrets` sends. The challenge `401`
/// before anything else, tokens for the vault audience from the emulator's Entra ID, versions with
/// paging, attribute and tag updates, disabled versions refused, and each vault's two budgets (secret
/// creations and everything else per 10 s) answered with `429` and `Retry-After`.
extension EmulatorRoutes {
    /// The audience of Key Vault tokens, which the challenge names as its `resource`.
    static let vaultAudience = "https://vault.azure.net"
    /// The api-versions of the secrets API the emulator serves.
    static let keyVaultAPIVersions: Set<String> = ["7.0", "7.1", "7.2", "7.3", "7.4", "7.5", "7.6", "2025-06-01", "2025-07-01", "2026-04-01"]

    /// `/secrets/{name}[/{version}|/versions]`.
    func keyVault(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        guard segments.count >= 2 else {
            return Self.vaultError(404, "NotFound", "No route for \(request.method) \(request.path)")
        }
        let principal: EmulatorState.Principal
        switch await vaultPrincipal(request) {
        case .success(let p): principal = p
        case .failure(let refusal): return refusal.response
        }
        guard let apiVersion = request.query["api-version"], !apiVersion.isEmpty else {
            return Self.vaultError(400, "BadParameter", "The request is missing the api-version query parameter.")
        }
        guard Self.keyVaultAPIVersions.contains(apiVersion) else {
            return Self.vaultError(
                400,
                "BadParameter",
                "The specified version (\(apiVersion)) is not recognized. Consider using the latest supported version (7.6)."
            )
        }
        let name = segments[1]
        guard (1...127).contains(name.count), name.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-") }) else {
            return Self.vaultError(400, "BadParameter", "The request URI contains an invalid name: \(name)")
        }
        let creates = request.method == "PUT"
        let now = await state.now
        if let wait = await state.withVault({ $0.admit(write: creates, now: now) }) {
            await state.count { $0.keyVaultThrottled += 1 }
            return Self.vaultError(
                429,
                "Throttled",
                "Request was not processed because too many requests were received. Reason: A\(creates ? 1 : 2)",
                headers: [("Retry-After", String(Int(wait.rounded(.up))))]
            )
        }
        let url = baseURL(request)
        let rest = Array(segments.dropFirst(2))
        switch (request.method, rest.count) {
        case ("PUT", 0):
            guard principal.canWrite else { return Self.forbidden("set") }
            return await setSecret(request, name: name, url: url)
        case ("GET", 1) where rest[0] == "versions":
            return await listVersions(request, name: name, url: url, apiVersion: apiVersion)
        case ("GET", 0), ("GET", 1):
            return await getSecret(name: name, version: rest.first ?? "", url: url)
        case ("PATCH", 0), ("PATCH", 1):
            return await updateSecret(request, name: name, version: rest.first ?? "", url: url, principal: principal)
        default:
            return Self.vaultError(405, "MethodNotAllowed", "The requested resource does not support http method '\(request.method)'.")
        }
    }

    /// A refusal as Key Vault words it.
    private struct VaultRefusal: Error {
        var response: EmulatorResponse
    }

    /// The caller, or the refusal: the challenge without a token, 401 for a bad, expired or
    /// wrong-audience token, a CAE claims challenge for a revoked one.
    private func vaultPrincipal(_ request: EmulatorRequest) async -> Result<EmulatorState.Principal, VaultRefusal> {
        guard let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") else {
            await state.count { $0.keyVaultChallenges += 1 }
            let challenge = #"Bearer authorization="\#(baseURL(request))/\#(state.tenant)", resource="\#(Self.vaultAudience)""#
            return .failure(
                VaultRefusal(
                    response: Self.vaultError(
                        401,
                        "Unauthorized",
                        "AKV10000: Request is missing a Bearer or PoP token.",
                        headers: [("WWW-Authenticate", challenge)]
                    )
                )
            )
        }
        switch await state.verify(token: String(authorization.dropFirst(7))) {
        case .invalid:
            return .failure(VaultRefusal(response: Self.vaultError(401, "Unauthorized", "The access token is not valid.")))
        case .expired(let expiry):
            return .failure(
                VaultRefusal(response: Self.vaultError(401, "Unauthorized", "The access token expired at \(EmulatorRoutes.timestamp(expiry)).")),
            )
        case .revoked(let notBefore):
            let challenge = await claimsChallenge(
                #"authorization="\#(baseURL(request))/\#(state.tenant)", resource="\#(Self.vaultAudience)""#,
                notBefore: notBefore
            )
            return .failure(
                VaultRefusal(
                    response: Self.vaultError(
                        401,
                        "Unauthorized",
                        "The token was issued before a revocation.",
                        headers: [("WWW-Authenticate", challenge)]
                    )
                )
            )
        // The audience is the scope without `.default`: `https://vault.azure.net/`.
        case .valid(_, let audience) where !(audience == Self.vaultAudience || audience == Self.vaultAudience + "/"):
            return .failure(
                VaultRefusal(
                    response: Self.vaultError(401, "Unauthorized", "AKV10022: Invalid audience. Expected \(Self.vaultAudience), found: \(audience).")
                )
            )
        case .valid(let principal, _):
            return .success(principal)
        }
    }

    private func setSecret(_ request: EmulatorRequest, name: String, url: String) async -> EmulatorResponse {
        guard let body = JSONValue(parsing: request.body), let value = body["value"]?.string else {
            return Self.vaultError(400, "BadParameter", "The request body must be a JSON object with a string 'value'.")
        }
        guard value.utf8.count <= 25 * 1024 else {
            return Self.vaultError(400, "BadParameter", "The secret value is larger than 25 KB.")
        }
        if let tags = body["tags"]?.strings, tags.count > Self.maximumTags { return Self.tooManyTags() }
        let now = Int(Date().timeIntervalSince1970)
        let attributes = body["attributes"]
        let version = EmulatedVault.Version(
            id: UUID().uuidString.lowercased().replacing("-", with: ""),
            value: value,
            contentType: body["contentType"]?.string,
            tags: body["tags"]?.strings ?? [:],
            enabled: attributes?["enabled"].map { $0 != .bool(false) } ?? true,
            notBefore: attributes?["nbf"]?.number.map { Int($0) },
            expires: attributes?["exp"]?.number.map { Int($0) },
            created: now,
            updated: now
        )
        let stored = await state.withVault { $0.add(name, version) }
        await state.count { $0.keyVaultWrites += 1 }
        await state.record(AuditEvent(at: 0, kind: .versionCreated, secret: name, tags: stored.tags))
        return Self.json(200, Self.bundle(url, name: name, stored, value: true))
    }

    private func getSecret(name: String, version: String, url: String) async -> EmulatorResponse {
        let secret = await state.withVault { $0.secret(name) }
        let found = version.isEmpty ? secret?.versions.last : secret?.versions.first { $0.id == version.lowercased() }
        guard let secret, let found else { return Self.secretNotFound(version.isEmpty ? name : "\(name)/\(version)") }
        guard found.enabled else {
            return Self.vaultError(403, "Forbidden", "Operation get is not allowed on a disabled secret.", inner: "SecretDisabled")
        }
        return Self.json(200, Self.bundle(url, name: secret.name, found, value: true))
    }

    private func listVersions(_ request: EmulatorRequest, name: String, url: String, apiVersion: String) async -> EmulatorResponse {
        guard let secret = await state.withVault({ $0.secret(name) }) else { return Self.secretNotFound(name) }
        let pageSize = min(25, max(1, request.query["maxresults"].flatMap { Int($0) } ?? 25))
        let start = min(secret.versions.count, max(0, request.query["$skiptoken"].flatMap { Int($0) } ?? 0))
        let page = secret.versions[start..<min(secret.versions.count, start + pageSize)]
        var body: [String: JSONValue] = ["value": .array(page.map { Self.bundle(url, name: secret.name, $0, value: false) })]
        let next = start + page.count
        body["nextLink"] =
            next < secret.versions.count
            ? .string("\(url)/secrets/\(secret.name)/versions?api-version=\(apiVersion)&$skiptoken=\(next)&maxresults=\(pageSize)") : .null
        return Self.json(200, JSONValue.object(body))
    }

    /// Key Vault's limit of tags on a secret version.
    static let maximumTags = 15

    private static func tooManyTags() -> EmulatorResponse {
        vaultError(400, "BadParameter", "The number of tags exceeds the maximum of \(maximumTags).")
    }

    /// Attributes and tags; a principal that may not write may change tags only (a follower's
    /// confirmation), as a role with just the secrets' read and update-tags permissions would.
    private func updateSecret(
        _ request: EmulatorRequest,
        name: String,
        version: String,
        url: String,
        principal: EmulatorState.Principal
    ) async -> EmulatorResponse {
        guard let body = JSONValue(parsing: request.body), case .object = body else {
            return Self.vaultError(400, "BadParameter", "The request body must be a JSON object.")
        }
        if !principal.canWrite, body["attributes"] != nil || body["contentType"] != nil { return Self.forbidden("update") }
        if let tags = body["tags"]?.strings, tags.count > Self.maximumTags { return Self.tooManyTags() }
        let now = Int(Date().timeIntervalSince1970)
        let updated = await state.withVault { vault in
            vault.update(name, version: version) { v in
                if let tags = body["tags"] { v.tags = tags.strings }
                if let contentType = body["contentType"]?.string { v.contentType = contentType }
                if let attributes = body["attributes"] {
                    if case .bool(let enabled) = attributes["enabled"] { v.enabled = enabled }
                    if let nbf = attributes["nbf"] { v.notBefore = nbf.number.map { Int($0) } }
                    if let exp = attributes["exp"] { v.expires = exp.number.map { Int($0) } }
                }
                v.updated = now
            }
        }
        guard let updated else { return Self.secretNotFound(version.isEmpty ? name : "\(name)/\(version)") }
        return Self.json(200, Self.bundle(url, name: updated.name, updated.version, value: false))
    }

    /// A `SecretBundle` (with the value) or `SecretItem` (without).
    static func bundle(_ url: String, name: String, _ v: EmulatedVault.Version, value: Bool) -> JSONValue {
        var attributes: [String: JSONValue] = [
            "enabled": .bool(v.enabled), "created": .int(v.created), "updated": .int(v.updated), "recoveryLevel": "Recoverable+Purgeable",
            "recoverableDays": 90,
        ]
        if let nbf = v.notBefore { attributes["nbf"] = .int(nbf) }
        if let exp = v.expires { attributes["exp"] = .int(exp) }
        var body: [String: JSONValue] = ["id": .string("\(url)/secrets/\(name)/\(v.id)"), "attributes": .object(attributes)]
        if !v.tags.isEmpty { body["tags"] = .object(v.tags.mapValues { .string($0) }) }
        if let contentType = v.contentType { body["contentType"] = .string(contentType) }
        if value { body["value"] = .string(v.value) }
        return .object(body)
    }

    /// Key Vault's error body.
    static func vaultError(_ status: Int, _ code: String, _ message: String, inner: String? = nil, headers: [(String, String)] = [])
        -> EmulatorResponse
    {
        var error: [String: JSONValue] = ["code": .string(code), "message": .string(message)]
        if let inner { error["innererror"] = ["code": .string(inner)] }
        return json(status, ["error": JSONValue.object(error)] as JSONValue, headers: headers)
    }

    private static func secretNotFound(_ what: String) -> EmulatorResponse {
        vaultError(
            404,
            "SecretNotFound",
            "A secret with (name/id) \(what) was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182"
        )
    }

    private static func forbidden(_ action: String) -> EmulatorResponse {
        vaultError(
            403,
            "Forbidden",
            "Caller is not authorized to perform action on resource. Action: 'Microsoft.KeyVault/vaults/secrets/\(action)/action'",
            inner: "ForbiddenByRbac"
        )
    }
}
