import FoundationEssentials

/// Microsoft Graph's application credential calls, at `{base}/v1.0/…` as on `graph.microsoft.com`:
/// reading an application by object id or `(appId='…')` with `$select`, `addPassword`,
/// `removePassword` and `owners`. Callers need a token for Graph. Writes follow
/// `Application.ReadWrite.OwnedBy`: only a service principal among the application's owners may
/// change it (403 `Authorization_RequestDenied` otherwise); reads are also open to the built-in
/// writer and reader, which stand for a principal granted `Application.Read.All`.
///
/// Error codes `Authorization_RequestDenied`, `Request_ResourceNotFound`, `InvalidAuthenticationToken`
/// and `CredentialInvalidLifetimeAsPerAppPolicy` are Graph's; the code of the two-password limit and
/// of a removal of an unknown key (`Request_BadRequest`) is a stand-in, with Graph's messages.
extension EmulatorRoutes {
    /// The audience of Graph tokens.
    static let graphAudience = "https://graph.microsoft.com"

    /// Answers a request under `/v1.0`.
    func graph(_ request: EmulatorRequest, _ segments: [String]) async -> EmulatorResponse {
        await state.count { $0.graphRequests += 1 }
        let caller: EmulatorState.Principal
        switch await graphCaller(request) {
        case .success(let principal):
            caller = principal
            await state.count { $0.graphAuthorized += 1 }
        case .failure(let refusal): return refusal.response
        }
        guard segments.count >= 2, let (id, action) = Self.applicationTarget(Array(segments.dropFirst())) else {
            return graphError(400, "BadRequest", "Resource not found for the segment '\(segments.dropFirst().first ?? "")'.", request)
        }
        guard let application = await state.application(id: id) else {
            return graphError(
                404,
                "Request_ResourceNotFound",
                "Resource '\(id)' does not exist or one of its queried reference-property objects are not present.",
                request
            )
        }
        let owner = application.owners.contains(caller.clientID)
        let reader = owner || caller.clientID == state.writer.clientID || caller.clientID == state.reader.clientID
        switch (request.method, action) {
        case ("GET", nil):
            guard reader else { return denied(request) }
            let select = request.query["$select"].map { Set($0.split(separator: ",").map { String($0.filter { $0 != " " }) }) }
            var body = application.json(select: select)
            if case .object(var fields) = body {
                fields["@odata.context"] = .string("\(Self.graphAudience)/v1.0/$metadata#applications/$entity")
                body = .object(fields)
            }
            return graphJSON(200, body, request)
        case ("GET", "owners"):
            guard reader else { return denied(request) }
            let owners: [JSONValue] = application.owners.sorted().map {
                ["@odata.type": "#microsoft.graph.servicePrincipal", "id": .string(Self.objectID(ofClient: $0)), "appId": .string($0)] as JSONValue
            }
            return graphJSON(
                200,
                ["@odata.context": .string("\(Self.graphAudience)/v1.0/$metadata#directoryObjects"), "value": .array(owners)],
                request
            )
        case ("POST", "addPassword"):
            guard owner else { return denied(request) }
            return await addPassword(request, to: application)
        case ("POST", "removePassword"):
            guard owner else { return denied(request) }
            return await removePassword(request, from: application)
        case ("POST", "addKey"), ("POST", "removeKey"):
            // An application rolls its own keys with a proof of possession and no permission; an
            // owner may too.
            guard owner || caller.clientID.lowercased() == application.appID.lowercased() else { return denied(request) }
            return await rollKey(request, action == "addKey", on: application)
        default:
            return graphError(405, "Request_BadRequest", "Unsupported \(request.method) on \(request.path).", request)
        }
    }

    private func addPassword(_ request: EmulatorRequest, to application: EmulatedApplication) async -> EmulatorResponse {
        let body = request.body.isEmpty ? JSONValue.object([:]) : JSONValue(parsing: request.body)
        guard let body, case .object = body else { return graphError(400, "Request_BadRequest", "Invalid JSON in the request body.", request) }
        let fields = body["passwordCredential"] ?? .null
        let now = Date()
        let start = fields["startDateTime"]?.string.flatMap(GraphTime.parse) ?? now
        let end = fields["endDateTime"]?.string.flatMap(GraphTime.parse) ?? start.addingTimeInterval(2 * 365 * 86_400)
        if fields["endDateTime"]?.string != nil, fields["endDateTime"]?.string.flatMap(GraphTime.parse) == nil {
            return graphError(
                400,
                "Request_BadRequest",
                "Invalid value specified for property 'endDateTime' of resource 'PasswordCredential'.",
                request
            )
        }
        guard end > start else {
            return graphError(400, "Request_BadRequest", "Key credential end date must be after the start date.", request)
        }
        if let limit = application.passwordLimit, application.passwords.count >= limit {
            return graphError(
                400,
                "Request_BadRequest",
                "Not allowed to add \(application.passwords.count + 1) passwords. You can only add a maximum of \(limit) passwords.",
                request
            )
        }
        if let maximum = application.maxPasswordLifetime, end.timeIntervalSince(start) > maximum.seconds {
            return graphError(
                400,
                "CredentialInvalidLifetimeAsPerAppPolicy",
                "Credential lifetime exceeds the max value allowed as per assigned policy.",
                request
            )
        }
        let password = EmulatedApplication.Password(
            keyID: UUID().uuidString.lowercased(),
            displayName: fields["displayName"]?.string ?? "",
            secret: Self.newClientSecret(),
            start: start,
            end: end,
            addedAt: await state.now
        )
        await state.withApplication(application.objectID) { $0.passwords.append(password) }
        await state.count { $0.passwordsAdded += 1 }
        guard case .object(var answer) = password.json else { return graphError(500, "InternalServerError", "internal", request) }
        answer["secretText"] = .string(password.secret)
        answer["@odata.context"] = .string("\(Self.graphAudience)/v1.0/$metadata#microsoft.graph.passwordCredential")
        return graphJSON(200, .object(answer), request)
    }

    private func removePassword(_ request: EmulatorRequest, from application: EmulatedApplication) async -> EmulatorResponse {
        guard let keyID = JSONValue(parsing: request.body)?["keyId"]?.string else {
            return graphError(400, "Request_BadRequest", "The request body must name the keyId to remove.", request)
        }
        let removed = await state.withApplication(application.objectID) { app in
            let before = app.passwords.count
            app.passwords.removeAll { $0.keyID.lowercased() == keyID.lowercased() }
            return app.passwords.count < before
        }
        guard removed == true else {
            return graphError(400, "Request_BadRequest", "No password credential found with keyId \(keyID).", request)
        }
        await state.count { $0.passwordsRemoved += 1 }
        return .respond(status: 204, headers: graphHeaders(request), body: [])
    }

    /// `addKey` (`keyCredential` with the DER certificate in `key`, and `proof`) and `removeKey`
    /// (`keyId` and `proof`). The proof is a JWT signed by a certificate of the application valid
    /// now: `aud` 00000002-0000-0000-c000-000000000000, `iss` the application's object id, `nbf` and
    /// `exp` at most 10 minutes apart around now.
    private func rollKey(_ request: EmulatorRequest, _ adding: Bool, on application: EmulatedApplication) async -> EmulatorResponse {
        guard let body = JSONValue(parsing: request.body), let proof = body["proof"]?.string else {
            return graphError(400, "Request_BadRequest", "The request body must hold a proof.", request)
        }
        let (claims, refusal) = application.checkSignature(of: proof)
        let now = Date().timeIntervalSince1970
        if let refusal { return graphError(400, "Request_BadRequest", "Invalid proof: \(refusal).", request) }
        guard let claims, claims["aud"]?.string == "00000002-0000-0000-c000-000000000000",
            claims["iss"]?.string?.lowercased() == application.objectID,
            let nbf = claims["nbf"]?.number, let exp = claims["exp"]?.number, nbf - 300 <= now, now < exp + 300, exp - nbf <= 600
        else {
            return graphError(
                400,
                "Request_BadRequest",
                "Invalid proof: its audience, issuer (the application's object id) or lifetime (nbf to exp, 10 minutes at most) is wrong.",
                request
            )
        }
        if !adding {
            guard let keyID = body["keyId"]?.string else {
                return graphError(400, "Request_BadRequest", "The request body must name the keyId.", request)
            }
            let removed = await state.withApplication(application.objectID) { app in
                let before = app.certificates.count
                app.certificates.removeAll { $0.keyID.lowercased() == keyID.lowercased() }
                return app.certificates.count < before
            }
            guard removed == true else { return graphError(400, "Request_BadRequest", "No key credential found with keyId \(keyID).", request) }
            return .respond(status: 204, headers: graphHeaders(request), body: [])
        }
        let fields = body["keyCredential"] ?? .null
        guard fields["type"]?.string == "AsymmetricX509Cert", fields["usage"]?.string == "Verify", let key = fields["key"]?.string,
            let der = Data(base64Encoded: key).map(Array.init),
            let certificate = EmulatedApplication.Certificate(
                der: der,
                keyID: UUID().uuidString.lowercased(),
                displayName: fields["displayName"]?.string ?? "",
                addedAt: await state.now
            )
        else {
            return graphError(
                400,
                "Request_BadRequest",
                "keyCredential must be an AsymmetricX509Cert for Verify with the base64 DER certificate in key.",
                request
            )
        }
        await state.withApplication(application.objectID) { $0.certificates.append(certificate) }
        guard case .object(var answer) = certificate.json else { return graphError(500, "InternalServerError", "internal", request) }
        answer["@odata.context"] = .string("\(Self.graphAudience)/v1.0/$metadata#microsoft.graph.keyCredential")
        return graphJSON(200, .object(answer), request)
    }

    /// The service principal behind the bearer token, or the refusal.
    private func graphCaller(_ request: EmulatorRequest) async -> Result<EmulatorState.Principal, GraphRefusal> {
        guard let authorization = request.headers["authorization"], authorization.lowercased().hasPrefix("bearer ") else {
            return .failure(GraphRefusal(response: graphError(401, "InvalidAuthenticationToken", "Access token is empty.", request)))
        }
        switch await state.verify(token: String(authorization.dropFirst(7))) {
        case .valid(let principal, let audience):
            guard [Self.graphAudience, Self.graphAudience + "/", baseURL(request), baseURL(request) + "/"].contains(audience) else {
                return .failure(GraphRefusal(response: graphError(401, "InvalidAuthenticationToken", "Invalid audience.", request)))
            }
            return .success(principal)
        case .expired:
            return .failure(
                GraphRefusal(response: graphError(401, "InvalidAuthenticationToken", "Lifetime validation failed, the token is expired.", request))
            )
        case .invalid, .revoked:
            return .failure(GraphRefusal(response: graphError(401, "InvalidAuthenticationToken", "Access token validation failure.", request)))
        }
    }

    /// Reads `applications(appId='X')[/action]` or `applications/{id}[/action]`.
    private static func applicationTarget(_ segments: [String]) -> (id: String, action: String?)? {
        let first = EmulatorRequest.percentDecode(segments[0])
        if first.hasPrefix("applications(appId="), first.hasSuffix(")") {
            let inner = first.dropFirst("applications(appId=".count).dropLast()
            guard inner.count >= 2, inner.first == "'", inner.last == "'", segments.count <= 2 else { return nil }
            return (String(inner.dropFirst().dropLast()), segments.count == 2 ? segments[1] : nil)
        }
        guard first == "applications", segments.count == 2 || segments.count == 3 else { return nil }
        return (segments[1], segments.count == 3 ? segments[2] : nil)
    }

    /// A service principal's object id, derived from its client id (stable, and distinct from it).
    static func objectID(ofClient clientID: String) -> String {
        String(clientID.reversed())
    }

    /// A client secret as Entra makes them: 40 characters of letters, digits and `~._-`.
    static func newClientSecret() -> String {
        let alphabet = Array("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789~._-")
        return String((0..<40).map { _ in alphabet[Int.random(in: 0..<alphabet.count)] })
    }

    private func denied(_ request: EmulatorRequest) -> EmulatorResponse {
        graphError(403, "Authorization_RequestDenied", "Insufficient privileges to complete the operation.", request)
    }

    private func graphHeaders(_ request: EmulatorRequest) -> [(String, String)] {
        [
            ("request-id", UUID().uuidString.lowercased()),
            ("client-request-id", request.headers["client-request-id"] ?? UUID().uuidString.lowercased()),
        ]
    }

    private func graphJSON(_ status: Int, _ body: JSONValue, _ request: EmulatorRequest) -> EmulatorResponse {
        Self.json(status, body, headers: graphHeaders(request))
    }

    /// Graph's error body: `error.code`, `error.message` and `error.innerError` with the request ids.
    func graphError(_ status: Int, _ code: String, _ message: String, _ request: EmulatorRequest) -> EmulatorResponse {
        let headers = graphHeaders(request)
        let inner: JSONValue = [
            "date": .string(EmulatorRoutes.timestamp(Date())), "request-id": .string(headers[0].1), "client-request-id": .string(headers[1].1),
        ]
        return Self.json(status, ["error": ["code": .string(code), "message": .string(message), "innerError": inner]] as JSONValue, headers: headers)
    }
}

/// A refused Graph request's answer.
private struct GraphRefusal: Error {
    var response: EmulatorResponse
}
