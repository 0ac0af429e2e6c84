import FoundationEssentials

/// The managed identity endpoints, served over plain HTTP on the metadata listener as Azure serves
/// them: IMDS (`/metadata/identity/oauth2/token`), App Service and Container Apps (`/msi/token`),
/// and Azure Arc (`/arc/identity/oauth2/token`, with its file-based 401 challenge).
extension EmulatorRoutes {
    /// Answers one request on the metadata listener.
    func handleMetadata(_ request: EmulatorRequest) async -> EmulatorResponse {
        await state.count { $0.requests += 1 }
        guard request.method == "GET" else { return Self.plainError(405, "invalid_request", "Only GET is supported") }
        let answer: EmulatorResponse
        switch request.path {
        case "/metadata/identity/oauth2/token": answer = await imds(request)
        case "/msi/token": answer = await appService(request)
        case "/arc/identity/oauth2/token": answer = await arc(request)
        default: return Self.plainError(404, "not_found", "No managed identity endpoint at \(request.path)")
        }
        if case .respond(let status, _, _) = answer, status != 200 { await state.count { $0.tokenRefusals += 1 } }
        return answer
    }

    private func imds(_ request: EmulatorRequest) async -> EmulatorResponse {
        guard request.headers["metadata"]?.lowercased() == "true" else {
            return Self.plainError(400, "invalid_request", "Required metadata header not specified")
        }
        guard request.query["api-version"] == "2018-02-01" || request.query["api-version"] == "2019-08-01" else {
            return Self.plainError(400, "invalid_request", "Invalid or missing api-version")
        }
        let identities = state.identities
        let identity: EmulatedIdentities.ManagedIdentity
        if let id = request.query["client_id"] {
            guard id == identities.userAssigned.clientID else { return Self.plainError(400, "invalid_request", "Identity not found") }
            identity = identities.userAssigned
        } else if let id = request.query["object_id"] {
            guard id == identities.userAssigned.objectID else { return Self.plainError(400, "invalid_request", "Identity not found") }
            identity = identities.userAssigned
        } else if let id = request.query["msi_res_id"] {
            guard id.lowercased() == identities.userAssigned.resourceID?.lowercased() else {
                return Self.plainError(400, "invalid_request", "Identity not found")
            }
            identity = identities.userAssigned
        } else {
            identity = identities.systemAssigned
        }
        return await managedIdentityToken(identity, request, kind: "imds")
    }

    private func appService(_ request: EmulatorRequest) async -> EmulatorResponse {
        guard request.headers["x-identity-header"] == state.identities.appServiceHeader else {
            return Self.plainError(401, "unauthorized", "The X-IDENTITY-HEADER header is missing or wrong")
        }
        guard request.query["api-version"] == "2019-08-01" else { return Self.plainError(400, "invalid_request", "Invalid api-version") }
        let identities = state.identities
        let identity: EmulatedIdentities.ManagedIdentity
        if let id = request.query["client_id"] ?? request.query["principal_id"] ?? request.query["mi_res_id"] {
            guard
                [identities.userAssigned.clientID, identities.userAssigned.objectID, identities.userAssigned.resourceID?.lowercased()].contains(
                    id.lowercased()
                )
            else { return Self.plainError(400, "invalid_request", "Identity not found") }
            identity = identities.userAssigned
        } else {
            identity = identities.systemAssigned
        }
        return await managedIdentityToken(identity, request, kind: "appService")
    }

    private func arc(_ request: EmulatorRequest) async -> EmulatorResponse {
        guard request.headers["metadata"]?.lowercased() == "true" else {
            return Self.plainError(400, "invalid_request", "Required metadata header not specified")
        }
        guard request.query["api-version"] == "2020-06-01" else { return Self.plainError(400, "invalid_request", "Invalid api-version") }
        guard let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("basic ") else {
            guard let path = try? await state.arcChallenge(directory: configuration.arcKeyDirectory) else {
                return Self.plainError(500, "server_error", "cannot write the challenge file")
            }
            return .respond(status: 401, headers: [("WWW-Authenticate", "Basic realm=\(path)"), ("Content-Length", "0")], body: [])
        }
        guard await state.answerArcChallenge(String(authorization.dropFirst(6))) else {
            return Self.plainError(401, "unauthorized", "The challenge answer is wrong or was used before")
        }
        return await managedIdentityToken(state.identities.systemAssigned, request, kind: "arc")
    }

    /// A token answer as managed identity endpoints send it: every number a string.
    private func managedIdentityToken(_ identity: EmulatedIdentities.ManagedIdentity, _ request: EmulatorRequest, kind: String) async
        -> EmulatorResponse
    {
        guard let resource = request.query["resource"], !resource.isEmpty else {
            return Self.plainError(400, "invalid_request", "Required query variable 'resource' is missing")
        }
        guard let principal = await state.principal(clientID: identity.clientID) else {
            return Self.plainError(400, "invalid_request", "Identity not found")
        }
        let issued = await state.issueToken(for: principal, audience: resource, lifetime: configuration.managedIdentityTokenLifetime)
        await state.count { $0.tokensIssued[kind, default: 0] += 1 }
        let now = Int(Date().timeIntervalSince1970)
        return Self.json(
            200,
            [
                "access_token": issued.token, "client_id": identity.clientID, "expires_in": "\(issued.expiresIn)",
                "expires_on": "\(now + issued.expiresIn)", "ext_expires_in": "\(issued.expiresIn)", "not_before": "\(now)", "resource": resource,
                "token_type": "Bearer",
            ]
        )
    }

    /// `{"error": …, "error_description": …}`, the managed identity endpoints' error shape.
    static func plainError(_ status: Int, _ error: String, _ description: String) -> EmulatorResponse {
        json(status, ["error": error, "error_description": description])
    }
}
